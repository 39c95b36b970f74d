using System.Diagnostics;
using System.Net.Sockets;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// <c>--upstream-connect-retry</c> (SPEC §13): a sandbox that is ready by its resource may not be listening yet (its
/// server is still starting). A connection refused or reset while connecting has sent nothing of the request, so it is
/// safe to try again for every method, upgrades included: after 25 ms, doubling up to 400 ms, until the window has
/// passed; then the failure stands (502). A request carrying a <see cref="PortProbe"/> (<c>--hold-probe-port</c>) is
/// retried the same way within the probe's own window, and stops early when the hold abandons it.
/// </summary>
internal sealed class ConnectRetryHandler(TimeSpan window, TimeProvider time, Action onRetry, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(400);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var probe = request.Options.TryGetValue(PortProbe.Key, out var found) ? found : null;
        var retryWindow = probe?.Window ?? window;
        var started = time.GetTimestamp();
        var delay = FirstDelay;
        try
        {
            while (true)
            {
                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                catch (HttpRequestException e) when (IsRefusedWhileConnecting(e))
                {
                    // 1. Out of time: a plain request keeps its failure; a probe's hold answers for it.
                    if (time.GetElapsedTime(started) + delay >= retryWindow)
                    {
                        if (probe is null)
                        {
                            throw;
                        }

                        throw probe.Stop(PortProbeOutcome.DeadlinePassed);
                    }

                    // 2. Wait, and try again unless the hold has given up on this attempt meanwhile.
                    onRetry();
                    Activity.Current?.AddEvent(new ActivityEvent("connect_retry"));
                    await DelayAsync(delay, probe, cancellationToken);
                    delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay;
                }
            }
        }
        finally
        {
            // Whatever else ended the loop (a connection, another failure, the client leaving) hands the request on.
            probe?.Report(PortProbeOutcome.Sent);
        }
    }

    private async Task DelayAsync(TimeSpan delay, PortProbe? probe, CancellationToken cancellationToken)
    {
        if (probe is null)
        {
            await Task.Delay(delay, time, cancellationToken);
            return;
        }

        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, probe.Abandoned);
        try
        {
            await Task.Delay(delay, time, either.Token);
        }
        catch (OperationCanceledException) when (probe.Abandoned.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw probe.Stop(PortProbeOutcome.Abandoned);
        }
    }

    private static bool IsRefusedWhileConnecting(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.ConnectionError
        && e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.ConnectionReset };
}
