using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Hosting;

/// <summary>
/// On SIGTERM, marks the ingress draining at once and keeps serving for <c>--shutdown-delay</c> before Kestrel stops
/// listening: Kubernetes removes a terminating pod from Service endpoints asynchronously, and requests routed to it
/// in that window must not be refused. Registered after the web server, so the host stops it first.
/// </summary>
internal sealed partial class ShutdownDelay(DrainState drain, TimeSpan delay, IHostApplicationLifetime lifetime, ILogger<ShutdownDelay> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            drain.Begin();
            LogDraining(delay.TotalSeconds);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: /status.ok answers 503; still accepting for {DelaySeconds} s, then in-flight requests get the drain timeout")]
    private partial void LogDraining(double delaySeconds);
}
