using System.Net.Sockets;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// <c>--upstream-connect-retry</c> (SPEC §13): a sandbox that is ready by its resource may not be listening yet (its
/// server is still starting). A connection refused or reset while connecting has sent nothing of the request, so it is
/// safe to try again for every method, upgrades included: after 25 ms, doubling up to 400 ms, until the window has
/// passed; then the failure stands (502).
/// </summary>
internal sealed class ConnectRetryHandler(TimeSpan window, TimeProvider time, Action onRetry, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(400);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e) when (IsRefusedWhileConnecting(e) && time.GetElapsedTime(started) + delay < window)
            {
                onRetry();
                await Task.Delay(delay, time, cancellationToken);
                delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay;
            }
        }
    }

    private static bool IsRefusedWhileConnecting(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.ConnectionError
        && e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.ConnectionReset };
}
