using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.Sandbox;

namespace OpenSandbox.Ingress.Lifecycle;

/// <summary>
/// The sandbox lifecycle at the door (SPEC §13), registered only with <c>--wake-on-request</c> or <c>--hold-timeout</c>:
/// a request for a sandbox that exists but is not ready wakes it when it is paused (the call is shared and never
/// waited for past the request's own deadline) and, with a hold, waits on the cache's change events until the sandbox
/// is routable, is deleted, the wake fails, the deadline passes or the client leaves. Each change refreshes only the
/// lookup; access is checked again only when the sandbox's token changed.
/// </summary>
/// <param name="waker">Present with <c>--wake-on-request</c>; without it paused sandboxes are only waited for.</param>
internal sealed partial class LifecycleStage(
    LifecycleOptions options,
    SandboxDirectory directory,
    ResolutionStage resolution,
    TimeProvider time,
    IngressMetrics metrics,
    ILogger<LifecycleStage> logger,
    SandboxWaker? waker = null) : IProxyStage
{
    private int _held;

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Features.GetRequiredFeature<SandboxRequestFeature>();
        return request.Sandbox.Readiness.IsReady ? next(context) : AwaitRoutableAsync(context, request, next);
    }

    private async Task AwaitRoutableAsync(HttpContext context, SandboxRequestFeature request, RequestDelegate next)
    {
        // 1. A paused sandbox is woken; without a hold the request is answered at once and the call goes on alone.
        var wake = Wake(request, context);
        if (options.HoldTimeout <= TimeSpan.Zero)
        {
            await (wake is { IsCompletedSuccessfully: true, Result.IsAccepted: false } ? WakeFailed(request, wake.Result) : Refusals.NotReady(request))
                .WriteAsync(context);
            return;
        }

        // 2. A waiting slot, or an answer at once.
        if (Interlocked.Increment(ref _held) > options.HoldMaxRequests)
        {
            Interlocked.Decrement(ref _held);
            await (Refusals.NotReady(request) with { Reason = $"sandbox {request.SandboxId} is not ready and {options.HoldMaxRequests} requests are waiting already" })
                .WriteAsync(context);
            return;
        }

        // 3. The wait; the slot is free again before the request is forwarded or answered.
        ErrorResponse? refusal;
        metrics.HoldStarted();
        var started = time.GetTimestamp();
        try
        {
            (request, refusal) = await WaitAsync(context, request, wake, started);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(request.SandboxId);
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _held);
            metrics.HoldEnded(time.GetElapsedTime(started));
        }

        await (refusal is null ? next(context) : refusal.WriteAsync(context));
    }

    /// <returns>The request once its sandbox is routable (refusal null), or the answer to give.</returns>
    private async Task<(SandboxRequestFeature Request, ErrorResponse? Refusal)> WaitAsync(HttpContext context, SandboxRequestFeature request,
        Task<WakeOutcome>? wake, long started)
    {
        while (true)
        {
            // 1. A failed wake ends the wait: the sandbox will not come back by itself.
            if (wake is { IsCompletedSuccessfully: true, Result.IsAccepted: false })
            {
                return (request, WakeFailed(request, wake.Result));
            }

            // 2. Wait for the next change of the cache or the end of a wake call, within the hold's own deadline.
            var changed = directory.NextChange;
            var remaining = options.HoldTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                LogHoldTimedOut(request.SandboxId, options.HoldTimeout.TotalSeconds);
                return (request, Refusals.NotReady(request));
            }

            var woken = wake is { IsCompleted: false } ? wake : null;
            try
            {
                await (woken is null ? changed : Task.WhenAny(changed, woken)).WaitAsync(remaining, time, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                continue;
            }

            // 3. The sandbox as the cache shows it now: gone, ambiguous, changed owner of the token, or a newer state.
            if (!ResolutionStage.TryFind(directory, request.Route, out var sandbox, out var missing))
            {
                return (request, missing);
            }

            if (!ReferenceEquals(sandbox, request.Sandbox))
            {
                if (sandbox.AccessToken != request.Sandbox.AccessToken)
                {
                    if (!resolution.TryResolve(context, out var again, out var refused))
                    {
                        return (request, refused);
                    }

                    context.Features.Set(again);
                    request = again;
                }

                request.Sandbox = sandbox;
            }

            if (sandbox.Readiness.IsReady)
            {
                return (request, null);
            }

            // 4. A sandbox that finished pausing while the request waited is woken now.
            wake = wake is { IsCompleted: false } ? wake : Wake(request, context) ?? wake;
        }
    }

    /// <summary>Starts (or joins) the resume call of a paused sandbox; null when there is nothing to wake.</summary>
    private Task<WakeOutcome>? Wake(SandboxRequestFeature request, HttpContext context) =>
        waker is not null && request.Sandbox.CanWake ? waker.WakeAsync(request.Sandbox.Name, context.TraceIdentifier) : null;

    private static ErrorResponse WakeFailed(SandboxRequestFeature request, WakeOutcome failed) =>
        new(ErrorCode.WakeFailed, $"sandbox {request.SandboxId} is paused and could not be woken: {failed.Failure}", request.SandboxId, request.Port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request for sandbox {SandboxId} waited {Seconds} s and the sandbox is still not ready")]
    private partial void LogHoldTimedOut(string sandboxId, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client went away while waiting for sandbox {SandboxId}")]
    private partial void LogClientGone(string sandboxId);
}
