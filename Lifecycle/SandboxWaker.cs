using System.Collections.Concurrent;

namespace OpenSandbox.Ingress.Lifecycle;

/// <summary>
/// Wake on request (SPEC §13): one resume call per sandbox at a time, shared by every request that asks while it runs.
/// After a call ends no new call is made for that sandbox for 10 s: after a failure so a broken server or key is not
/// hammered (requests get the failure meanwhile), after an accepted one so the controller has time to move the sandbox
/// out of <c>Paused</c>.
/// </summary>
internal sealed class SandboxWaker(LifecycleApi api, TimeProvider time, Action<WakeOutcome> onCall)
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Lazy<Task<WakeOutcome>>> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Until, WakeOutcome Outcome)> _recent = new(StringComparer.Ordinal);

    /// <summary>The outcome of the current or latest call for the sandbox, calling the API only when none is recent.</summary>
    public Task<WakeOutcome> WakeAsync(string sandboxId, string requestId)
    {
        if (_recent.TryGetValue(sandboxId, out var recent) && time.GetTimestamp() < recent.Until)
        {
            return Task.FromResult(recent.Outcome);
        }

        return _calls.GetOrAdd(sandboxId, id => new Lazy<Task<WakeOutcome>>(() => CallAsync(id, requestId))).Value;
    }

    private async Task<WakeOutcome> CallAsync(string sandboxId, string requestId)
    {
        // Off the caller's stack, so the Lazy is published before the call can end and remove it.
        await Task.Yield();
        var outcome = await api.ResumeAsync(sandboxId, requestId).ConfigureAwait(false);
        onCall(outcome);
        _recent[sandboxId] = (time.GetTimestamp() + (long)(Quiet.TotalSeconds * time.TimestampFrequency), outcome);
        _calls.TryRemove(sandboxId, out _);
        SweepRecent();
        return outcome;
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
