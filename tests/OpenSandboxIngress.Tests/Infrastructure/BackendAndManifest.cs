namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// For tests that run the ingress executable: a real backend and a temporary sandboxes directory holding one
/// BatchSandbox that points at it, ready for <c>--provider-type file --sandboxes-dir</c>.
/// </summary>
internal sealed class BackendAndManifest : IAsyncDisposable
{
    private BackendAndManifest(TestBackend backend, string directory, string sandbox)
    {
        Backend = backend;
        Directory = directory;
        Sandbox = sandbox;
    }

    public TestBackend Backend { get; }

    public string Directory { get; }

    public string Sandbox { get; }

    /// <summary>The routing key that reaches the backend.</summary>
    public string RoutingKey => $"{Sandbox}-{Backend.Port}";

    public static async Task<BackendAndManifest> StartAsync(string sandbox)
    {
        var backend = await TestBackend.StartAsync();
        var directory = System.IO.Directory.CreateTempSubdirectory("osb-process-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, sandbox + ".yaml"), Manifests.BatchSandbox(sandbox));
        return new BackendAndManifest(backend, directory, sandbox);
    }

    public Task<IngressProcess> StartIngressAsync(params string[] args) =>
        IngressProcess.StartAsync(["--provider-type", "file", "--sandboxes-dir", Directory, .. args]);

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
