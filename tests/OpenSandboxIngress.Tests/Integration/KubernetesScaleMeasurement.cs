using System.Diagnostics;
using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// A measurement, not a CI test: 100,000 BatchSandboxes listed in pages by the ingress executable. Run with
/// <c>INGRESS_BINARY=$PWD/bin/opensandbox-ingress</c> and <c>--explicit only</c>; it prints time to synced and RSS.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class KubernetesScaleMeasurement
{
    private const int Sandboxes = 100_000;

    [Fact(Explicit = true)]
    public async Task One_hundred_thousand_sandboxes_sync_and_are_held_as_projections()
    {
        await using var emulator = await KubernetesApiEmulator.StartAsync();
        emulator.Seed(Sandboxes, i => ($"ns-{i % 100}", $"sandbox-{i:D6}", SandboxObjects.BatchSandbox()));
        var kubeconfig = Kubeconfig.Write(emulator.Server, null, null);

        var clock = Stopwatch.StartNew();
        await using var ingress = await IngressProcess.StartAsync(waitForReady: false, "--kubeconfig", kubeconfig, "--log-level", "warn");
        await ingress.WaitForStatusAsync(HttpStatusCode.OK, TimeSpan.FromMinutes(5));
        var synced = clock.Elapsed;
        var (afterSync, peak) = ingress.Memory();
        GC.KeepAlive(emulator);

        using var client = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{ingress.Port}/");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, "sandbox-099999-1");
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper!.WriteLine(
            $"{Sandboxes} sandboxes: synced in {synced.TotalSeconds:F2} s, RSS after sync {afterSync >> 20} MiB, peak {peak >> 20} MiB, " +
            $"pages {emulator.RequestLog.Count(p => p.Contains("limit=", StringComparison.Ordinal))}");
        // Nothing listens on 127.0.0.1:1: a 502 shows the lookup found the sandbox and tried its endpoint.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }
}
