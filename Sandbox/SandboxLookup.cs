namespace OpenSandbox.Ingress.Sandbox;

/// <summary>The answer of the directory for one sandbox id.</summary>
internal readonly record struct SandboxLookup(SandboxRecord? Record, IReadOnlyList<string>? AmbiguousNamespaces)
{
    public static SandboxLookup NotFound => default;

    public bool IsAmbiguous => AmbiguousNamespaces is not null;
}
