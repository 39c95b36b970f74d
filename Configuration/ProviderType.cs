namespace OpenSandbox.Ingress.Configuration;

/// <summary>Where the sandbox cache is fed from (SPEC §6).</summary>
internal enum ProviderType
{
    BatchSandbox,
    AgentSandbox,
    File,
}
