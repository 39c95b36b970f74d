using System.Diagnostics;
using System.Net;
using System.Text;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Sandbox.Kubernetes;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The credential forms kubectl accepts beyond an inline token: <c>tokenFile</c>, the in-cluster service-account
/// token (both re-read when the file is rotated), and <c>exec</c> plugins. Each test reads the <c>Authorization</c>
/// header the API emulator received on list and on watch requests.
/// </summary>
public sealed class KubernetesCredentialTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(5) };
    private KubernetesApiEmulator _emulator = null!;

    public async ValueTask InitializeAsync()
    {
        _emulator = await KubernetesApiEmulator.StartAsync(tls: true);
        _emulator.Upsert("default", "box", SandboxObjects.BatchSandbox());
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
    }

    private static bool IsWatch((string PathAndQuery, string Authorization) request) =>
        request.PathAndQuery.Contains("watch=true", StringComparison.Ordinal);

    /// <summary>Waits until both a list and a watch request have carried <c>Bearer <paramref name="token"/></c>.</summary>
    private Task ListAndWatchCarryAsync(string token, string what) =>
        Eventually.WaitAsync(() => Task.FromResult(_emulator.Requests.ToList()),
            requests => requests.Any(r => !IsWatch(r) && r.Authorization == "Bearer " + token) && requests.Any(r => IsWatch(r) && r.Authorization == "Bearer " + token),
            Deadline, what);

    /// <summary>The watch is resumed from a version the emulator no longer has: the ingress watches again, gets 410 and lists again.</summary>
    private void ForceRelist()
    {
        _emulator.ExpireHistory();
        _emulator.EndWatches();
    }

    [Fact]
    public async Task A_token_file_is_sent_on_list_and_watch_and_re_read_after_it_changes()
    {
        var tokenFile = Path.Combine(Directory.CreateTempSubdirectory("osb-token-").FullName, "token");
        await File.WriteAllTextAsync(tokenFile, "first-token\n", TestContext.Current.CancellationToken);
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, _emulator.CertificateAuthorityBase64, userEntry: $"      tokenFile: {tokenFile}\n");
        await using var ingress = await InProcessIngress.StartAsync(configure: o => o with
        {
            Source = new SandboxSourceOptions { KubeconfigPath = kubeconfig },
        });

        await ListAndWatchCarryAsync("first-token", "list and watch with the file's token");
        Assert.All(_emulator.Requests, r => Assert.Equal("Bearer first-token", r.Authorization));

        await File.WriteAllTextAsync(tokenFile, "second-token\n", TestContext.Current.CancellationToken);
        ForceRelist();

        await ListAndWatchCarryAsync("second-token", "list and watch with the rewritten file's token");
    }

    [Fact]
    public async Task The_in_cluster_service_account_token_is_used_and_re_read_when_the_kubelet_rotates_it()
    {
        // The kubelet's layout: token -> ..data/token, ..data -> ..<timestamp>/; rotation swaps ..data atomically.
        var directory = Directory.CreateTempSubdirectory("osb-serviceaccount-").FullName;
        await WriteServiceAccountVersionAsync(directory, "..v1", "in-cluster-token-one");
        File.CreateSymbolicLink(Path.Combine(directory, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(directory, "token"), "..data/token");
        await File.WriteAllTextAsync(Path.Combine(directory, "ca.crt"), Encoding.ASCII.GetString(Convert.FromBase64String(_emulator.CertificateAuthorityBase64!)),
            TestContext.Current.CancellationToken);
        var environment = new Dictionary<string, string>
        {
            ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
            ["KUBERNETES_SERVICE_PORT"] = _emulator.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        using var api = new KubernetesApi(KubernetesConfigurationLoader.Load(null, directory, name => environment.GetValueOrDefault(name)));

        await ListAndWatchOnceAsync(api);
        Assert.All(_emulator.Requests, r => Assert.Equal("Bearer in-cluster-token-one", r.Authorization));

        await WriteServiceAccountVersionAsync(directory, "..v2", "in-cluster-token-two-rotated");
        File.CreateSymbolicLink(Path.Combine(directory, "..data_tmp"), "..v2");
        await RunAsync("mv", "-T", Path.Combine(directory, "..data_tmp"), Path.Combine(directory, "..data"));

        await ListAndWatchOnceAsync(api);
        await ListAndWatchCarryAsync("in-cluster-token-two-rotated", "list and watch with the rotated token");
    }

    private static async Task WriteServiceAccountVersionAsync(string directory, string version, string token)
    {
        Directory.CreateDirectory(Path.Combine(directory, version));
        await File.WriteAllTextAsync(Path.Combine(directory, version, "token"), token, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, version, "namespace"), "default", TestContext.Current.CancellationToken);
    }

    /// <summary>One list page, then a watch from an expired version, which the emulator answers at once with ERROR 410.</summary>
    private static async Task ListAndWatchOnceAsync(KubernetesApi api)
    {
        var path = CustomResourceType.BatchSandbox.CollectionPath(null);
        var page = await api.ListPageAsync(path, 10, null, TestContext.Current.CancellationToken);
        Assert.Equal("box", Assert.Single(page.Items).Metadata?.Name);
        await foreach (var item in api.WatchAsync(path, "1", 5, TestContext.Current.CancellationToken))
        {
            Assert.Equal("ERROR", item.Event?.Type);
            break;
        }
    }

    private static async Task RunAsync(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { UseShellExecute = false })!;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task An_exec_credential_plugin_supplies_the_token_for_list_and_watch()
    {
        var directory = Directory.CreateTempSubdirectory("osb-exec-").FullName;
        var plugin = Path.Combine(directory, "credential-plugin");
        await File.WriteAllTextAsync(plugin, """
            #!/bin/sh
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-from-plugin"}}'
            """.ReplaceLineEndings("\n"), TestContext.Current.CancellationToken);
        await RunAsync("chmod", "+x", plugin);
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, _emulator.CertificateAuthorityBase64, userEntry: $"""
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: {plugin}
                    interactiveMode: Never
                    provideClusterInfo: false

            """);
        _emulator.RequiredToken = "token-from-plugin";

        // The executable (the Native AOT binary when INGRESS_BINARY names it): the plugin runs in the shipped artifact.
        await using var ingress = await IngressProcess.StartAsync("--kubeconfig", kubeconfig);

        await ListAndWatchCarryAsync("token-from-plugin", "list and watch with the plugin's token");
    }

    [Fact]
    public async Task A_failing_exec_plugin_fails_start_up_with_one_line()
    {
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, _emulator.CertificateAuthorityBase64, userEntry: """
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: /nonexistent/credential-plugin

            """);

        var (exitCode, _, stderr, _) = await IngressProcess.RunToExitAsync("--kubeconfig", kubeconfig);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--kubeconfig: cannot load Kubernetes configuration: external exec failed", line);
    }

    [Fact]
    public async Task An_auth_provider_user_fails_start_up_with_one_line_naming_the_form()
    {
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, _emulator.CertificateAuthorityBase64, userEntry: """
                  auth-provider:
                    name: oidc
                    config:
                      id-token: abc

            """);

        var (exitCode, _, stderr, _) = await IngressProcess.RunToExitAsync("--kubeconfig", kubeconfig);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("auth-provider credential form ('oidc') is not supported", line);
    }
}
