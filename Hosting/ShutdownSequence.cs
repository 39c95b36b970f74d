using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Hosting;

/// <summary>
/// What happens on SIGTERM/SIGINT (SPEC §12), in order: <c>/status.ok</c> turns 503 at once; the ingress keeps accepting
/// for <c>--shutdown-delay</c> (Kubernetes removes a terminating pod from Service endpoints asynchronously), and systemd
/// hears <c>STOPPING=1</c> at the same moment; then the
/// listeners stop accepting and drain; one second before the host stops waiting, open WebSockets get a 1001 close. The host
/// calls <see cref="StoppingAsync"/> on every lifecycle service before it stops any, the web server included.
/// </summary>
internal sealed partial class ShutdownSequence(
    DrainState drain,
    WebSocketDrain webSockets,
    ServiceManagerNotifier serviceManager,
    ShutdownOptions options,
    ILogger<ShutdownSequence> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan WebSocketCloseMargin = TimeSpan.FromSeconds(1);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        drain.Begin();
        serviceManager.Draining();
        LogDraining(options.Delay.TotalSeconds, (options.Budget - options.Delay).TotalSeconds);
        var closeWebSocketsAfter = options.Budget - WebSocketCloseMargin;
        _ = webSockets.CloseAllAfterAsync(closeWebSocketsAfter > TimeSpan.Zero ? closeWebSocketsAfter : TimeSpan.Zero);
        if (options.Delay > TimeSpan.Zero)
        {
            await Task.Delay(options.Delay, cancellationToken);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Draining: /status.ok answers 503; accepting for {DelaySeconds} s more, then in-flight requests get {DrainSeconds} s")]
    private partial void LogDraining(double delaySeconds, double drainSeconds);
}
