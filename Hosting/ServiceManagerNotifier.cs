using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Tracing;

namespace OpenSandbox.Ingress.Hosting;

/// <summary>
/// Tells systemd (a <c>Type=notify</c> unit, packaging/) what <c>/status.ok</c> tells a load balancer: <c>READY=1</c>
/// once the listeners are up and the sandbox cache has synced, <c>STOPPING=1</c> when draining starts. Without
/// <c>NOTIFY_SOCKET</c> (a container, a shell) nothing is sent. The library's own lifetime is not used because it reports
/// ready as soon as the host has started, before the first list of sandboxes is in.
/// </summary>
internal sealed partial class ServiceManagerNotifier(
    ISystemdNotifier notifier,
    SandboxDirectory directory,
    ShutdownOptions shutdown,
    IHostApplicationLifetime lifetime,
    ILogger<ServiceManagerNotifier> logger) : IHostedLifecycleService
{
    /// <summary>
    /// What the process may still need after the host's stop budget: the log flush, Redis's close and the last spans'
    /// export, each bounded by its own deadline, and 2 s of slack (5 s in all; README).
    /// </summary>
    private static readonly TimeSpan ExitMargin = LogWriter.DefaultFlushDeadline + RedisRenewIntentPublisher.ShutdownCloseTimeout
        + SpanExportQueue.ShutdownWait + TimeSpan.FromSeconds(2);

    // READY=1 and STOPPING=1 are decided under one lock, so a signal arriving as the cache syncs cannot send them out of order.
    private readonly Lock _gate = new();
    private bool _stopping;

    /// <summary>After every service's start, so the listeners accept by the time READY=1 can be sent.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (notifier.IsEnabled)
        {
            _ = NotifyReadyWhenSyncedAsync(lifetime.ApplicationStopping);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Called by <see cref="ShutdownSequence"/> as <c>/status.ok</c> turns 503. The stop timeout is extended to the whole
    /// budget, so a <c>--drain-timeout</c> raised without raising the unit's <c>TimeoutStopSec</c> is not cut by SIGKILL.
    /// </summary>
    public void Draining()
    {
        lock (_gate)
        {
            _stopping = true;
            var extendMicroseconds = (long)(shutdown.Budget + ExitMargin).TotalMicroseconds;
            Send(new ServiceState(string.Create(CultureInfo.InvariantCulture, $"STOPPING=1\nEXTEND_TIMEOUT_USEC={extendMicroseconds}")));
        }
    }

    private async Task NotifyReadyWhenSyncedAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                // Taken before the read, so a sync between the read and the wait is not missed.
                var change = directory.NextChange;
                if (directory.IsSynced)
                {
                    break;
                }

                await change.WaitAsync(stopping);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            if (!_stopping)
            {
                Send(ServiceState.Ready);
            }
        }
    }

    /// <summary>
    /// A notify socket that is gone (or a path too long for one) is logged, never fatal: the ingress serves whether systemd
    /// listens or not. Without <c>NOTIFY_SOCKET</c> the notifier itself sends nothing.
    /// </summary>
    private void Send(ServiceState state)
    {
        try
        {
            notifier.Notify(state);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            LogNotifyFailed(state.ToString().ReplaceLineEndings(" "), e.Message);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell systemd {State}: {Reason}")]
    private partial void LogNotifyFailed(string state, string reason);
}
