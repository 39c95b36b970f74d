namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>How much of one Kubernetes object the ingress will hold while reading it (SPEC §12, bounded input).</summary>
internal static class KubernetesInputLimits
{
    /// <summary>
    /// The largest watch line or list item that is parsed; anything larger is skipped and logged without being
    /// buffered past this. The API server refuses objects over 1.5 MiB (etcd's default request limit), so a legitimate
    /// object always fits; the extra half MiB covers the watch envelope (<c>{"type":…,"object":…}</c>) and escaping.
    /// </summary>
    public const int MaxObjectBytes = 2 * 1024 * 1024;

    /// <summary>Bytes asked of the socket per read; also the starting size of the reusable buffers.</summary>
    public const int ReadChunkBytes = 64 * 1024;
}
