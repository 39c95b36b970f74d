using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>Where sandboxes are read from (SPEC §6): a Kubernetes custom resource, or manifests in a directory.</summary>
internal sealed record SandboxSourceOptions
{
    public static readonly Option<string> ProviderFlag = new("--provider-type")
    {
        Description = "Sandbox source: batchsandbox, agent-sandbox, or file (manifests in --sandboxes-dir).",
        DefaultValueFactory = _ => "batchsandbox",
    };

    public static readonly Option<string?> NamespaceFlag = new("--namespace")
    {
        Description = "Namespace whose sandboxes are watched; empty or omitted watches all namespaces (needs a ClusterRole).",
    };

    public static readonly Option<string?> KubeconfigFlag = new("--kubeconfig")
    {
        Description = "Kubeconfig file; otherwise $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.",
    };

    public static readonly Option<string?> SandboxesDirFlag = new("--sandboxes-dir")
    {
        Description = "Directory of BatchSandbox / Sandbox manifests (YAML or JSON) for --provider-type file; watched for changes.",
    };

    public static IEnumerable<Option> Flags => [NamespaceFlag, ProviderFlag, KubeconfigFlag, SandboxesDirFlag];

    public ProviderType Provider { get; init; } = ProviderType.BatchSandbox;

    /// <summary>Null watches every namespace.</summary>
    public string? Namespace { get; init; }

    public string? KubeconfigPath { get; init; }

    /// <summary>The manifests of the <c>file</c> provider.</summary>
    public string? SandboxesDirectory { get; init; }

    public static SandboxSourceOptions Read(FlagReader flags)
    {
        var providerText = flags.Value(ProviderFlag);
        var provider = providerText switch
        {
            "batchsandbox" => ProviderType.BatchSandbox,
            "agent-sandbox" => ProviderType.AgentSandbox,
            "file" => ProviderType.File,
            _ => flags.Fail(ProviderFlag, $"unknown provider '{providerText}' (expected batchsandbox, agent-sandbox or file)", ProviderType.BatchSandbox),
        };

        var kubeconfig = flags.Value(KubeconfigFlag);
        if (!string.IsNullOrEmpty(kubeconfig) && !File.Exists(kubeconfig))
        {
            flags.Fail<string>(KubeconfigFlag, $"file '{kubeconfig}' does not exist");
        }

        var directory = flags.Value(SandboxesDirFlag);
        if (provider == ProviderType.File && string.IsNullOrEmpty(directory))
        {
            flags.Fail<string>(SandboxesDirFlag, "required with --provider-type file");
        }
        else if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            flags.Fail<string>(SandboxesDirFlag, $"directory '{directory}' does not exist");
        }

        var @namespace = flags.Value(NamespaceFlag);
        return new SandboxSourceOptions
        {
            Provider = provider,
            Namespace = string.IsNullOrWhiteSpace(@namespace) ? null : @namespace,
            KubeconfigPath = string.IsNullOrEmpty(kubeconfig) ? null : kubeconfig,
            SandboxesDirectory = string.IsNullOrEmpty(directory) ? null : directory,
        };
    }
}
