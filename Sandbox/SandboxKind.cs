namespace OpenSandbox.Ingress.Sandbox;

/// <summary>The custom resource a record was projected from.</summary>
internal enum SandboxKind
{
    /// <summary><c>sandbox.opensandbox.io</c> BatchSandbox: reached by its exact name, resumed through the lifecycle API.</summary>
    BatchSandbox,

    /// <summary>agent-sandbox <c>Sandbox</c>: also reached by the normalised forms of an id (SPEC §6.2).</summary>
    AgentSandbox,
}
