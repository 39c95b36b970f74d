using System.Collections.Concurrent;

namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>
/// At most one intent per sandbox per interval. Entries older than the interval carry no information, so
/// <see cref="Sweep"/> drops them: memory follows the sandboxes active in the last interval, not every sandbox seen.
/// </summary>
internal sealed class RenewIntentThrottle(TimeSpan interval, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _lastPublished = new(StringComparer.Ordinal);
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);

    public int TrackedSandboxes => _lastPublished.Count;

    /// <summary>True when an intent for this sandbox may go now; records it as sent.</summary>
    public bool TryAcquire(string sandboxId)
    {
        // No interval: every request publishes, and nothing is tracked (two requests reading the clock in one order and
        // storing it in the other would otherwise see a negative gap and throttle one of them).
        if (_intervalTicks == 0)
        {
            return true;
        }

        var now = time.GetTimestamp();
        while (true)
        {
            if (!_lastPublished.TryGetValue(sandboxId, out var last))
            {
                if (_lastPublished.TryAdd(sandboxId, now))
                {
                    return true;
                }

                continue;
            }

            if (now - last < _intervalTicks)
            {
                return false;
            }

            // Only one of several concurrent requests wins the slot.
            if (_lastPublished.TryUpdate(sandboxId, now, last))
            {
                return true;
            }
        }
    }

    /// <summary>Forgets sandboxes whose interval has passed.</summary>
    public void Sweep()
    {
        var now = time.GetTimestamp();
        foreach (var (sandboxId, last) in _lastPublished)
        {
            if (now - last >= _intervalTicks)
            {
                _lastPublished.TryRemove(new KeyValuePair<string, long>(sandboxId, last));
            }
        }
    }
}
