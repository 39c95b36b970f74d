using System.Collections.Concurrent;
using System.Diagnostics;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Tracing;

namespace OpenSandbox.Ingress.Lifecycle;

/// <summary>
/// Wake on request (SPEC §13): one resume call per sandbox at a time, shared by every request that asks while it runs.
/// After a call ends no new call is made for that sandbox for 10 s: after a failure so a broken server or key is not
/// hammered (requests get the failure meanwhile), after an accepted one so the controller has time to move the sandbox
/// out of <c>Paused</c>. At most <see cref="MaxCallsInFlight"/> calls run at once across all sandboxes, so a lifecycle API
/// that hangs holds a bounded number of connections; a sandbox whose call cannot start is told so at once.
/// </summary>
internal sealed class SandboxWaker(LifecycleApi api, TimeProvider time, IngressMetrics metrics)
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    /// <summary>Enough for a burst of distinct sandboxes waking at once; a lifecycle API that hangs holds no more than this.</summary>
    public const int MaxCallsInFlight = 32;

    private int _inFlight;

    private readonly ConcurrentDictionary<string, Lazy<Task<WakeOutcome>>> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Until, WakeOutcome Outcome)> _recent = new(StringComparer.Ordinal);

    /// <summary>The outcome of the current or latest call for the sandbox, calling the API only when none is recent.</summary>
    public Task<WakeOutcome> WakeAsync(string sandboxId, string requestId)
    {
        if (_recent.TryGetValue(sandboxId, out var recent) && time.GetTimestamp() < recent.Until)
        {
            return Task.FromResult(recent.Outcome);
        }

        if (_calls.TryGetValue(sandboxId, out var running))
        {
            return running.Value;
        }

        if (Interlocked.Increment(ref _inFlight) > MaxCallsInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            return Task.FromResult(WakeOutcome.Failed($"{MaxCallsInFlight} resume calls are in flight already"));
        }

        var call = new Lazy<Task<WakeOutcome>>(() => CallAsync(sandboxId, requestId));
        var shared = _calls.GetOrAdd(sandboxId, call);
        if (!ReferenceEquals(shared, call))
        {
            // Another request started the call in between: this one's slot was never used.
            Interlocked.Decrement(ref _inFlight);
        }

        return shared.Value;
    }

    private async Task<WakeOutcome> CallAsync(string sandboxId, string requestId)
    {
        // Off the caller's stack, so the Lazy is published before the call can end and remove it.
        await Task.Yield();
        using var span = IngressTracing.Source.StartActivity("wake", ActivityKind.Client);
        span?.SetTag("opensandbox.sandbox.name", sandboxId);
        try
        {
            var outcome = await api.ResumeAsync(sandboxId, requestId);
            metrics.WakeCalled(outcome.IsAccepted);
            span?.SetTag("opensandbox.wake.accepted", outcome.IsAccepted);
            _recent[sandboxId] = (time.GetTimestamp() + (long)(Quiet.TotalSeconds * time.TimestampFrequency), outcome);
            return outcome;
        }
        finally
        {
            _calls.TryRemove(sandboxId, out _);
            Interlocked.Decrement(ref _inFlight);
            SweepRecent();
        }
    }

    /// <summary>Entries past their quiet time carry nothing: memory follows the sandboxes woken in the last 10 s.</summary>
    private void SweepRecent()
    {
        var now = time.GetTimestamp();
        foreach (var (id, entry) in _recent)
        {
            if (now >= entry.Until)
            {
                _recent.TryRemove(new KeyValuePair<string, (long, WakeOutcome)>(id, entry));
            }
        }
    }
}
