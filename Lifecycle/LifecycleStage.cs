using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Tracing;

namespace OpenSandbox.Ingress.Lifecycle;

/// <summary>
/// The sandbox lifecycle at the door (SPEC §13), registered only with <c>--wake-on-request</c> or <c>--hold-timeout</c>:
/// a request for a sandbox that exists but is not ready wakes it when it is paused (the call is shared and never
/// waited for past the request's own deadline) and, with a hold, waits on the cache's change events until the sandbox
/// is routable, is deleted, the wake fails, the deadline passes or the client leaves. Each change refreshes only the
/// lookup; access is checked again only when the sandbox's token changed. With <c>--hold-probe-port</c> a sandbox that
/// is starting at a known endpoint is sent the request at once, retried while its port refuses (<see cref="PortProbe"/>).
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
        // 1. A paused sandbox is woken (inside the hold's span, when there is a hold); without a hold the request is
        //    answered at once and the call goes on alone.
        var span = options.HoldTimeout > TimeSpan.Zero ? IngressTracing.Source.StartActivity("hold") : null;
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
            span?.Dispose();
            await (Refusals.NotReady(request) with { Reason = $"sandbox {request.SandboxId} is not ready and {options.HoldMaxRequests} requests are waiting already" })
                .WriteAsync(context);
            return;
        }

        // 3. The hold; the slot is free again once the sandbox is routable, its port took the request, or the hold ended.
        var held = new HoldResult(HoldEnd.ClientGone);
        metrics.HoldStarted();
        var started = time.GetTimestamp();
        try
        {
            held = await HoldAsync(context, request, next, wake, started);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(request.SandboxId);
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _held);
            metrics.HoldEnded(time.GetElapsedTime(started), held.End);
            span?.SetTag("opensandbox.hold.ended", held.End.ToString());

            // The hold's span ends with the hold, so what follows is the request's again.
            span?.Dispose();
        }

        // 4. The forwarding a port probe started goes on; otherwise the request is forwarded or answered now.
        await (held.Forwarding ?? held.Refusal?.WriteAsync(context) ?? next(context));
    }

    /// <summary>Waits until the request can go on, or must be answered.</summary>
    private async Task<HoldResult> HoldAsync(HttpContext context, SandboxRequestFeature request, RequestDelegate next, Task<WakeOutcome>? wake,
        long started)
    {
        while (true)
        {
            // 1. The sandbox as the cache shows it now, read after taking the change signal so that no change between the
            //    read and the wait is missed: gone, ambiguous, changed owner of the token, or a newer state.
            var changed = directory.NextChange;
            if (Refresh(context, ref request) is { } ended)
            {
                return ended;
            }

            if (request.Sandbox.Readiness.IsReady)
            {
                return new HoldResult(HoldEnd.Ready);
            }

            // 2. A sandbox that finished pausing while the request waited is woken now; a failed wake ends the wait, since
            //    the sandbox will not come back by itself.
            wake = wake is { IsCompleted: false } ? wake : Wake(request, context) ?? wake;
            if (wake is { IsCompletedSuccessfully: true, Result.IsAccepted: false })
            {
                return new HoldResult(HoldEnd.WakeFailed, WakeFailed(request, wake.Result));
            }

            // 3. The hold's own deadline.
            var remaining = options.HoldTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                LogHoldTimedOut(request.SandboxId, options.HoldTimeout.TotalSeconds);
                return new HoldResult(HoldEnd.Deadline, Refusals.NotReady(request));
            }

            // 4. A sandbox starting at a known endpoint gets the request as soon as its port accepts (--hold-probe-port).
            if (options.HoldProbePort && request.Sandbox is { Readiness.State: ReadinessState.NotReady, Address: not null })
            {
                if (await ProbeAsync(context, request, next, remaining) is { } probed)
                {
                    return probed;
                }

                continue;
            }

            // 5. Otherwise the next change of the cache or the end of a wake call, within the deadline.
            var woken = wake is { IsCompleted: false } ? wake : null;
            try
            {
                await (woken is null ? changed : Task.WhenAny(changed, woken)).WaitAsync(remaining, time, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                // The deadline is checked at the top.
            }
        }
    }

    /// <returns>The end of the hold when the sandbox is gone or the request lost its access; null when it goes on.</returns>
    private HoldResult? Refresh(HttpContext context, ref SandboxRequestFeature request)
    {
        if (!ResolutionStage.TryFind(directory, request.Route, out var sandbox, out var missing))
        {
            return new HoldResult(HoldEnd.Deleted, missing);
        }

        if (ReferenceEquals(sandbox, request.Sandbox))
        {
            return null;
        }

        if (sandbox.AccessToken != request.Sandbox.AccessToken)
        {
            if (!resolution.TryResolve(context, out var again, out var refused))
            {
                return new HoldResult(HoldEnd.Refused, refused);
            }

            context.Features.Set(again);
            request = again;
        }

        request.Sandbox = sandbox;
        return null;
    }

    /// <summary>
    /// Sends the request to the starting sandbox while the cache is watched: a sandbox that is deleted, starts pausing,
    /// moves or changes its token meanwhile ends the attempt, and the hold looks at it again.
    /// </summary>
    /// <returns>The end of the hold once the request went out or the deadline passed; null when the attempt was abandoned.</returns>
    private async Task<HoldResult?> ProbeAsync(HttpContext context, SandboxRequestFeature request, RequestDelegate next, TimeSpan remaining)
    {
        // 1. Forward with the probe; a stage after this one may answer before the request reaches the sandbox's port.
        using var probe = new PortProbe(remaining);
        request.Probe = probe;
        var forwarding = next(context);
        var watching = AbandonOnChangeAsync(probe, request);
        await Task.WhenAny(probe.Ended, forwarding);
        probe.Report(PortProbeOutcome.Sent);
        await watching;

        // 2. Sent: the request is the forwarding's now, whether or not the cache shows the sandbox ready yet.
        var outcome = await probe.Ended;
        if (outcome == PortProbeOutcome.Sent)
        {
            var end = context.RequestAborted.IsCancellationRequested ? HoldEnd.ClientGone
                : ResolutionStage.TryFind(directory, request.Route, out var now, out _) && now.Readiness.IsReady ? HoldEnd.Ready
                : HoldEnd.Port;
            if (end == HoldEnd.Port)
            {
                metrics.PortProbeServed();
            }

            return new HoldResult(end, Forwarding: forwarding);
        }

        // 3. Nothing reached the sandbox and nothing was answered: the hold decides again.
        await forwarding;
        request.Probe = null;
        if (outcome == PortProbeOutcome.DeadlinePassed)
        {
            LogHoldTimedOut(request.SandboxId, options.HoldTimeout.TotalSeconds);
            return new HoldResult(HoldEnd.Deadline, Refusals.NotReady(request));
        }

        return null;
    }

    private async Task AbandonOnChangeAsync(PortProbe probe, SandboxRequestFeature request)
    {
        var probing = request.Sandbox;
        while (!probe.Ended.IsCompleted)
        {
            var changed = directory.NextChange;
            if (!ResolutionStage.TryFind(directory, request.Route, out var now, out _) || now.Readiness.IsPauseTransition
                || !Equals(now.Address, probing.Address) || now.AccessToken != probing.AccessToken)
            {
                probe.Abandon();
                return;
            }

            await Task.WhenAny(changed, probe.Ended);
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

    /// <param name="Refusal">The answer to give; null when the request goes on.</param>
    /// <param name="Forwarding">The forwarding a port probe started, still running.</param>
    private readonly record struct HoldResult(HoldEnd End, ErrorResponse? Refusal = null, Task? Forwarding = null);
}
