using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Sandbox.Kubernetes;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>SPEC §12: a watch line or list item over the cap is skipped and logged; the objects around it still route.</summary>
public sealed partial class KubernetesInputLimitTests : IAsyncLifetime
{
    /// <summary>Half again the cap: well over it, as an object the API server would never store.</summary>
    private const int OversizedBytes = KubernetesInputLimits.MaxObjectBytes * 3 / 2;

    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CapturingLoggerProvider _logs = new();
    private TestBackend _backend = null!;
    private KubernetesApiEmulator _emulator = null!;
    private InProcessIngress? _ingress;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _emulator = await KubernetesApiEmulator.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (_ingress is not null)
        {
            await _ingress.DisposeAsync();
        }

        await _emulator.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private async Task<InProcessIngress> StartIngressAsync()
    {
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, null);
        _ingress = await InProcessIngress.StartAsync(
            configure: o => o with { Source = new SandboxSourceOptions { KubeconfigPath = kubeconfig } },
            overrideServices: services => services.AddSingleton<ILoggerProvider>(_logs));
        await Eventually.WaitAsync(async () => (await _client.GetAsync(new Uri(_ingress.BaseAddress, "/status.ok"))).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "cache sync");
        return _ingress;
    }

    private async Task<HttpStatusCode> StatusOfAsync(InProcessIngress ingress, string sandbox)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ingress.BaseAddress, "/"));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"{sandbox}-{_backend.Port}");
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The one warning about the oversized object, with its size parsed out.</summary>
    private (string Message, long Bytes) OversizedWarning()
    {
        var warning = Assert.Single(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("skipped unread", StringComparison.Ordinal));
        return (warning.Message, long.Parse(SizeInMessage().Match(warning.Message).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"object of (\d+) bytes")]
    private static partial Regex SizeInMessage();

    [Fact]
    public async Task A_watch_line_over_the_cap_is_skipped_and_logged_and_the_next_event_is_applied()
    {
        var ingress = await StartIngressAsync();

        _emulator.Upsert("default", "huge", SandboxObjects.LargeBatchSandbox(OversizedBytes));
        _emulator.Upsert("default", "after-huge", SandboxObjects.BatchSandbox());

        await Eventually.WaitAsync(() => StatusOfAsync(ingress, "after-huge"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(5),
            "the event after the oversized one being applied");
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(ingress, "huge"));
        var (message, bytes) = OversizedWarning();
        Assert.Contains("huge", message);
        Assert.Contains($"over the {KubernetesInputLimits.MaxObjectBytes}-byte cap", message);
        Assert.True(bytes > OversizedBytes, message);
    }

    [Fact]
    public async Task A_list_item_over_the_cap_is_skipped_and_logged_and_the_other_items_are_routable()
    {
        _emulator.Upsert("default", "huge", SandboxObjects.LargeBatchSandbox(OversizedBytes));
        _emulator.Upsert("default", "normal", SandboxObjects.BatchSandbox());

        var ingress = await StartIngressAsync();

        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(ingress, "normal"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(ingress, "huge"));
        var (message, bytes) = OversizedWarning();
        Assert.Contains("huge", message);
        Assert.True(bytes > OversizedBytes, message);
    }

    [Fact]
    public async Task An_object_just_under_the_cap_is_still_routed()
    {
        var ingress = await StartIngressAsync();

        _emulator.Upsert("default", "large-but-legal", SandboxObjects.LargeBatchSandbox(1536 * 1024));

        await Eventually.WaitAsync(() => StatusOfAsync(ingress, "large-but-legal"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(5),
            "a 1.5 MiB object (the API server's own limit) being applied");
    }
}
