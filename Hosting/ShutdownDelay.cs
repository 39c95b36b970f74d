using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Hosting;

/// <summary>
/// On SIGTERM, marks the ingress draining at once and keeps serving for <c>--shutdown-delay</c> before Kestrel stops
/// listening: Kubernetes removes a terminating pod from Service endpoints asynchronously, and requests routed to it
/// in that window must not be refused. The delay runs in <see cref="StoppingAsync"/>, which the host calls on every
/// lifecycle service before it stops any service, the web server included.
/// </summary>
internal sealed partial class ShutdownDelay(DrainState drain, TimeSpan delay, ILogger<ShutdownDelay> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        drain.Begin();
        LogDraining(delay.TotalSeconds);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: /status.ok answers 503; still accepting for {DelaySeconds} s, then in-flight requests get the drain timeout")]
    private partial void LogDraining(double delaySeconds);
}
