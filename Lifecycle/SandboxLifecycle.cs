using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Sandbox;

namespace OpenSandbox.Ingress.Lifecycle;

/// <summary>
/// The sandbox lifecycle at the door (SPEC §13) for a request whose sandbox exists but cannot take traffic yet: a
/// paused sandbox is woken through the lifecycle API (<c>--wake-on-request</c>), and the request waits until the cache
/// shows the sandbox routable (<c>--hold-timeout</c>). The wait is on the cache's change events, never a poll; at most
/// <c>--hold-max-requests</c> wait at once; a client that goes away stops waiting at once.
/// </summary>
internal sealed partial class SandboxLifecycle(
    RequestRouter router,
    SandboxDirectory directory,
    SandboxWaker? waker,
    TimeSpan holdTimeout,
    int maxHeld,
    TimeProvider time,
    IngressMetrics metrics,
    ILogger<SandboxLifecycle> logger)
{
    private int _held;

    /// <param name="notReady">The router's answer for the request: <c>SANDBOX_NOT_READY</c>.</param>
    /// <param name="requestId">Passed to the lifecycle API, so its log names the request that woke the sandbox.</param>
    /// <returns>The decision once the sandbox is routable, or the answer to give (not ready, deleted, wake failed).</returns>
    /// <exception cref="OperationCanceledException">The client went away while waiting.</exception>
    public async Task<RouteDecision> AwaitRoutableAsync(string pathAndQuery, IHeaderDictionary headers, RouteDecision notReady, string requestId,
        CancellationToken aborted)
    {
        var sandboxId = notReady.Refusal!.SandboxId!;

        // 1. Without a hold the request is answered at once, as without any of this; a paused sandbox is woken first.
        if (holdTimeout <= TimeSpan.Zero)
        {
            return await WakeIfPausedAsync(sandboxId, requestId).ConfigureAwait(false) is { IsAccepted: false } failed
                ? WakeFailed(notReady, failed)
                : notReady;
        }

        // 2. A waiting slot, or an answer at once.
        if (Interlocked.Increment(ref _held) > maxHeld)
        {
            Interlocked.Decrement(ref _held);
            return RouteDecision.Answer(notReady.Refusal with
            {
                Reason = $"sandbox {sandboxId} is not ready and {maxHeld} requests are waiting already",
            });
        }

        metrics.HoldStarted();
        var started = time.GetTimestamp();
        try
        {
            // 3. Decide again after every change of the cache, until the sandbox is routable, gone, or the deadline passes.
            while (true)
            {
                var changed = directory.NextChange;
                var decision = router.Decide(pathAndQuery, headers);
                if (decision.Refusal is not { Code: ErrorCode.SandboxNotReady })
                {
                    return decision;
                }

                if (await WakeIfPausedAsync(sandboxId, requestId).ConfigureAwait(false) is { IsAccepted: false } failed)
                {
                    return WakeFailed(decision, failed);
                }

                var remaining = holdTimeout - time.GetElapsedTime(started);
                try
                {
                    if (remaining <= TimeSpan.Zero)
                    {
                        throw new TimeoutException();
                    }

                    await changed.WaitAsync(remaining, time, aborted).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    LogHoldTimedOut(sandboxId, holdTimeout.TotalSeconds);
                    return decision;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _held);
            metrics.HoldEnded(time.GetElapsedTime(started));
        }
    }

    /// <summary>Resumes a sandbox in <c>Paused</c> (one in <c>Pausing</c> is resumed once the cache shows it paused).</summary>
    private async Task<WakeOutcome?> WakeIfPausedAsync(string sandboxId, string requestId) =>
        waker is not null && directory.Lookup(sandboxId).Record is { Phase: "Paused" } paused
            ? await waker.WakeAsync(paused.Name, requestId).ConfigureAwait(false)
            : null;

    private static RouteDecision WakeFailed(RouteDecision notReady, WakeOutcome failed) =>
        RouteDecision.Answer(notReady.Refusal! with
        {
            Code = ErrorCode.WakeFailed,
            Reason = $"sandbox {notReady.Refusal.SandboxId} is paused and could not be woken: {failed.Failure}",
        });

    [LoggerMessage(Level = LogLevel.Information, Message = "Request for sandbox {SandboxId} waited {Seconds} s and the sandbox is still not ready")]
    private partial void LogHoldTimedOut(string sandboxId, double seconds);
}
