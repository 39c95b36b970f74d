using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

/// <summary>The connect-retry rule with and without a port probe, on a sandbox whose port refuses a given number of times.</summary>
public sealed class ConnectRetryHandlerTests
{
    private readonly FakeTimeProvider _time = new();
    private int _retries;

    /// <summary>Refuses the first <paramref name="refusals"/> connections, then answers 200.</summary>
    private sealed class RefusingPort(int refusals) : HttpMessageHandler
    {
        public int Attempts { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Attempts++;
            return Attempts <= refusals
                ? Task.FromException<HttpResponseMessage>(new HttpRequestException(HttpRequestError.ConnectionError, "refused",
                    new SocketException((int)SocketError.ConnectionRefused)))
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }

    private (HttpMessageInvoker Invoker, RefusingPort Port) Invoker(int refusals, TimeSpan window)
    {
        var port = new RefusingPort(refusals);
        return (new HttpMessageInvoker(new ConnectRetryHandler(window, _time, () => _retries++, port)), port);
    }

    private static HttpRequestMessage Request(PortProbe? probe)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "http://10.0.0.7:8080/");
        if (probe is not null)
        {
            request.Options.Set(PortProbe.Key, probe);
        }

        return request;
    }

    /// <summary>Moves the clock in 25 ms steps until <paramref name="task"/> has finished.</summary>
    private async Task DriveAsync(Task task)
    {
        for (var step = 0; step < 4000 && !task.IsCompleted; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(25));
            await Task.Yield();
        }

        Assert.True(task.IsCompleted, "the retries did not end");
    }

    [Fact]
    public async Task Without_a_window_or_a_probe_a_refusal_stands()
    {
        var (invoker, port) = Invoker(refusals: 1, TimeSpan.Zero);

        await Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(Request(null), CancellationToken.None));

        Assert.Equal((1, 0), (port.Attempts, _retries));
    }

    [Fact]
    public async Task A_probe_is_retried_within_its_own_window_and_reports_that_it_was_sent()
    {
        var (invoker, port) = Invoker(refusals: 4, TimeSpan.Zero);
        using var probe = new PortProbe(TimeSpan.FromSeconds(5));

        var sending = invoker.SendAsync(Request(probe), CancellationToken.None);
        await DriveAsync(sending);

        using var response = await sending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((5, 4), (port.Attempts, _retries));
        Assert.Equal(PortProbeOutcome.Sent, await probe.Ended);
    }

    [Fact]
    public async Task A_probe_whose_port_refuses_past_its_window_ends_for_the_hold_to_answer()
    {
        var (invoker, port) = Invoker(refusals: int.MaxValue, TimeSpan.Zero);
        using var probe = new PortProbe(TimeSpan.FromSeconds(2));

        var sending = invoker.SendAsync(Request(probe), CancellationToken.None);
        await DriveAsync(sending);

        var ended = await Assert.ThrowsAsync<PortProbeEndedException>(() => sending);
        Assert.Equal(PortProbeOutcome.DeadlinePassed, ended.Outcome);
        Assert.Equal(PortProbeOutcome.DeadlinePassed, await probe.Ended);
        // At 0, 25, 75, 175, 375, 775, 1175, 1575 and 1975 ms: the attempts one held request makes in 2 s.
        Assert.Equal(9, port.Attempts);
    }

    [Fact]
    public async Task An_abandoned_probe_stops_at_its_next_wait()
    {
        var (invoker, port) = Invoker(refusals: int.MaxValue, TimeSpan.Zero);
        using var probe = new PortProbe(TimeSpan.FromSeconds(30));

        var sending = invoker.SendAsync(Request(probe), CancellationToken.None);
        Assert.False(sending.IsCompleted);
        probe.Abandon();

        var ended = await Assert.ThrowsAsync<PortProbeEndedException>(() => sending);
        Assert.Equal(PortProbeOutcome.Abandoned, ended.Outcome);
        Assert.Equal(1, port.Attempts);
    }
}
