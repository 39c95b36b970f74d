using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>The ingress executable against the emulator over TLS with a generated CA and a bearer token.</summary>
public sealed class KubernetesAuthenticationTests : IAsyncLifetime
{
    private KubernetesApiEmulator _emulator = null!;
    private TestBackend _backend = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _emulator = await KubernetesApiEmulator.StartAsync(tls: true);
        _emulator.RequiredToken = "right-token";
        _emulator.Upsert("default", "secure-cluster", SandboxObjects.BatchSandbox());
    }

    public async ValueTask DisposeAsync()
    {
        await _emulator.DisposeAsync();
        await _backend.DisposeAsync();
    }

    /// <summary>The list has been applied once /status.ok is 200; the watch follows it at once.</summary>
    private Task WatchStartedAsync() =>
        Eventually.WaitAsync(() => Task.FromResult(_emulator.RequestLog.Any(p => p.Contains("watch=true", StringComparison.Ordinal))),
            started => started, TimeSpan.FromSeconds(5), "the watch request");

    private static async Task<HttpStatusCode> GetThroughAsync(IngressProcess ingress, string routingKey)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{ingress.Port}/");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Tls_with_a_custom_ca_and_a_bearer_token_works()
    {
        var kubeconfig = Kubeconfig.Write(_emulator.Server, "right-token", _emulator.CertificateAuthorityBase64);
        await using var ingress = await IngressProcess.StartAsync("--kubeconfig", kubeconfig);

        Assert.Equal(HttpStatusCode.OK, await GetThroughAsync(ingress, $"secure-cluster-{_backend.Port}"));
        await WatchStartedAsync();
    }

    [Fact]
    public async Task A_client_certificate_from_the_kubeconfig_is_presented()
    {
        _emulator.RequiredToken = null;
        _emulator.RequireClientCertificate = true;
        var client = _emulator.Certificates!.IssueClientCertificate("opensandbox-ingress");
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, _emulator.CertificateAuthorityBase64, client);

        await using var ingress = await IngressProcess.StartAsync("--kubeconfig", kubeconfig);

        await WatchStartedAsync();
    }

    [Fact]
    public async Task A_client_certificate_and_key_from_files_are_presented()
    {
        _emulator.RequiredToken = null;
        _emulator.RequireClientCertificate = true;
        var (certificate, key) = _emulator.Certificates!.IssueClientCertificate("opensandbox-ingress");
        var directory = Directory.CreateTempSubdirectory("osb-client-cert-").FullName;
        await File.WriteAllBytesAsync(Path.Combine(directory, "client.crt"), Convert.FromBase64String(certificate), TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(directory, "client.key"), Convert.FromBase64String(key), TestContext.Current.CancellationToken);
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, _emulator.CertificateAuthorityBase64,
            userEntry: $"      client-certificate: {directory}/client.crt\n      client-key: {directory}/client.key\n");

        await using var ingress = await IngressProcess.StartAsync("--kubeconfig", kubeconfig);

        Assert.Equal(HttpStatusCode.OK, await GetThroughAsync(ingress, $"secure-cluster-{_backend.Port}"));
        await WatchStartedAsync();
    }

    [Fact]
    public async Task A_user_without_credentials_is_anonymous_as_for_kubectl_proxy()
    {
        await using var proxy = await KubernetesApiEmulator.StartAsync();
        proxy.Upsert("default", "open-cluster", SandboxObjects.BatchSandbox());
        var kubeconfig = Kubeconfig.Write(proxy.Server, null, null, anonymous: true);

        await using var ingress = await IngressProcess.StartAsync("--kubeconfig", kubeconfig);

        Assert.Equal(HttpStatusCode.OK, await GetThroughAsync(ingress, $"open-cluster-{_backend.Port}"));
        Assert.NotEmpty(proxy.AuthorizationLog);
        Assert.All(proxy.AuthorizationLog, header => Assert.Equal("", header));
    }

    [Fact]
    public async Task A_context_naming_a_user_the_file_does_not_hold_still_fails_at_start_up()
    {
        var kubeconfig = Kubeconfig.Write(_emulator.Server, "right-token", _emulator.CertificateAuthorityBase64);
        await File.WriteAllTextAsync(kubeconfig, (await File.ReadAllTextAsync(kubeconfig, TestContext.Current.CancellationToken))
            .Replace("user: tester", "user: nobody", StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var (exitCode, _, stderr, _) = await IngressProcess.RunToExitAsync("--kubeconfig", kubeconfig);

        Assert.Equal(1, exitCode);
        Assert.Contains("--kubeconfig: cannot load Kubernetes configuration: User not found for context emulator", stderr);
    }

    [Fact]
    public async Task A_wrong_token_is_logged_clearly_and_the_ingress_stays_unready()
    {
        var kubeconfig = Kubeconfig.Write(_emulator.Server, "wrong-token", _emulator.CertificateAuthorityBase64);
        await using var ingress = await IngressProcess.StartAsync(waitForReady: false, "--kubeconfig", kubeconfig);

        var output = await Eventually.WaitAsync(() => Task.FromResult(ingress.Output), o => o.Contains("Kubernetes list failed", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "a log line about the refused token");
        await ingress.WaitForStatusAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5));
        var line = output.Split('\n').First(l => l.Contains("Kubernetes list failed", StringComparison.Ordinal));
        Assert.Contains("401 Unauthorized", line);
        Assert.DoesNotContain("wrong-token", ingress.Output);
    }
}
