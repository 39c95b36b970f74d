using System.Net;
using System.Text.Json.Nodes;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// A measurement, not a CI test: peak RSS (VmHWM) of the ingress executable while 300 MODIFIED events of a 1.4 MiB
/// BatchSandbox (just under the API server's 1.5 MiB limit, the bulk in an annotation routing does not read, as
/// <c>kubectl apply</c>'s last-applied-configuration is) arrive in a burst. Run with
/// <c>INGRESS_BINARY=$PWD/bin/opensandbox-ingress</c> and <c>--explicit only</c>.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class KubernetesMemoryMeasurement
{
    private const int Events = 300;
    private const int ObjectBytes = 1400 * 1024;

    private static JsonObject Large(int revision)
    {
        var resource = SandboxObjects.BatchSandbox();
        resource["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"] = revision + new string('x', ObjectBytes);
        return resource;
    }

    [Fact(Explicit = true)]
    public async Task Three_hundred_large_modifications_keep_peak_rss_bounded()
    {
        await using var emulator = await KubernetesApiEmulator.StartAsync();
        emulator.Upsert("default", "large", Large(0));
        var kubeconfig = Kubeconfig.Write(emulator.Server, null, null);
        await using var ingress = await IngressProcess.StartAsync("--kubeconfig", kubeconfig, "--log-level", "warn");
        var (_, peakAtStart) = ingress.Memory();

        for (var revision = 1; revision <= Events; revision++)
        {
            emulator.Upsert("default", "large", Large(revision));
        }

        emulator.Upsert("default", "last", SandboxObjects.BatchSandbox());
        using var client = new HttpClient();
        // Nothing listens on 127.0.0.1:1: a 502 shows the lookup found the sandbox created after the burst.
        await Eventually.WaitAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{ingress.Port}/");
            request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, "last-1");
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }, s => s == HttpStatusCode.BadGateway, TimeSpan.FromMinutes(2), "the sandbox after the burst");
        var (rss, peak) = ingress.Memory();

        TestContext.Current.TestOutputHelper!.WriteLine(
            $"{Events} events of {ObjectBytes / 1024} KiB: peak RSS at start {peakAtStart >> 20} MiB, after the burst {peak >> 20} MiB (RSS now {rss >> 20} MiB)");
    }
}
