using Microsoft.Extensions.DependencyInjection;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>--max-connections (SPEC §12): the in-process ingress on a loopback port, with real client connections.</summary>
public sealed class ConnectionLimitTests
{
    private const string Probe = "GET /status.ok HTTP/1.1\r\nHost: h\r\n\r\n";

    /// <returns>The status of a keep-alive probe on the connection, or 0 when the ingress closed it instead.</returns>
    private static async Task<int> AskAsync(RawHttp client)
    {
        try
        {
            await client.SendAsync(Probe);
            return RawHttp.StatusOf((await client.ReadResponseAsync()).Head);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task A_connection_beyond_the_cap_is_closed_and_one_is_served_again_once_another_closes()
    {
        await using var ingress = await InProcessIngress.StartAsync(configure: o => o with { Limits = o.Limits with { MaxConnections = 2 } });
        var metrics = ingress.Services.GetRequiredService<IngressMetrics>();
        var port = ingress.BaseAddress.Port;
        using var first = new RawHttp(port);
        using var second = new RawHttp(port);
        Assert.Equal(200, await AskAsync(first));
        Assert.Equal(200, await AskAsync(second));

        using (var third = new RawHttp(port))
        {
            Assert.Equal(0, await AskAsync(third));
        }

        Assert.Equal(2, metrics.OpenConnections);
        first.Dispose();
        await Eventually.WaitAsync(() => Task.FromResult(metrics.OpenConnections), n => n == 1, TimeSpan.FromSeconds(5), "the first connection closed");
        using var fourth = new RawHttp(port);
        Assert.Equal(200, await AskAsync(fourth));
        Assert.Equal(200, await AskAsync(second));
    }
}
