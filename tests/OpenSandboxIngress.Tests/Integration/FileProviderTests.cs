using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>The in-process ingress on the file provider, with manifests edited while it runs.</summary>
public sealed class FileProviderTests : IAsyncLifetime
{
    /// <summary>
    /// Edits take effect within a second by design (SPEC §6.3: file-system events, and a rescan each second behind them);
    /// the deadline leaves room for a loaded machine, where a 1 s one failed once in CI.
    /// </summary>
    private static readonly TimeSpan Reload = TimeSpan.FromSeconds(5);

    private TestBackend _first = null!;
    private TestBackend _second = null!;
    private InProcessIngress _ingress = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _first = await TestBackend.StartAsync();
        _second = await TestBackend.StartAsync();
        _ingress = await InProcessIngress.StartAsync(manifests: new Dictionary<string, string>
        {
            ["moving.yaml"] = Manifests.BatchSandbox("moving"),
            ["steady.yaml"] = Manifests.BatchSandbox("steady"),
        });
        _client = new HttpClient { BaseAddress = _ingress.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _ingress.DisposeAsync();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    private async Task<HttpStatusCode> GetStatusAsync(string routingKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task<string?> BackendPortAsync(string routingKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.Headers.TryGetValues("X-Backend-Port", out var values) ? values.Single() : null;
    }

    [Fact]
    public async Task Editing_the_endpoint_moves_traffic_within_one_second()
    {
        // Both backends listen on 127.0.0.1; "localhost" resolves to the same address, so the endpoint changes while
        // the port in the route stays: the request must now reach the backend on that endpoint and port.
        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync($"moving-{_first.Port}"));

        await _ingress.WriteManifestAsync("moving.yaml", Manifests.BatchSandbox("moving", endpoint: "localhost", ready: 0));

        await Eventually.WaitAsync(() => GetStatusAsync($"moving-{_first.Port}"), s => s == HttpStatusCode.ServiceUnavailable,
            Reload, "the manifest edit taking effect");
    }

    [Fact]
    public async Task A_new_manifest_becomes_routable_and_a_deleted_one_disappears()
    {
        await _ingress.WriteManifestAsync("late.yaml", Manifests.BatchSandbox("late"));
        await Eventually.WaitAsync(() => BackendPortAsync($"late-{_second.Port}"), p => p == _second.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Reload, "the new sandbox becoming routable");

        File.Delete(Path.Combine(_ingress.SandboxesDirectory, "late.yaml"));

        await Eventually.WaitAsync(() => GetStatusAsync($"late-{_second.Port}"), s => s == HttpStatusCode.NotFound,
            Reload, "the deleted sandbox disappearing");
    }

    [Fact]
    public async Task Broken_yaml_keeps_the_routes_of_other_files_and_its_own()
    {
        await _ingress.WriteManifestAsync("broken.yaml", "kind: [unterminated\n  - : :");
        await _ingress.WriteManifestAsync("after.yaml", Manifests.BatchSandbox("after"));
        await Eventually.WaitAsync(() => GetStatusAsync($"after-{_first.Port}"), s => s == HttpStatusCode.OK,
            Reload, "the file written after the broken one being loaded");

        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync($"steady-{_first.Port}"));

        await _ingress.WriteManifestAsync("steady.yaml", "metadata: {name: steady, annotations: [not, a, map]}");
        await _ingress.WriteManifestAsync("after.yaml", Manifests.BatchSandbox("after", ready: 0));
        await Eventually.WaitAsync(() => GetStatusAsync($"after-{_first.Port}"), s => s == HttpStatusCode.ServiceUnavailable,
            Reload, "the later edit being loaded");
        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync($"steady-{_first.Port}"));
    }

    [Fact]
    public async Task Agent_sandbox_manifests_route_by_service_name()
    {
        await _ingress.WriteManifestAsync("agent.yaml", Manifests.AgentSandbox("agent-one", fqdn: "localhost"));

        await Eventually.WaitAsync(() => BackendPortAsync($"agent-one-{_second.Port}"), p => p == _second.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Reload, "the agent sandbox becoming routable");
    }
}
