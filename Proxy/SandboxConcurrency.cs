namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// <c>--max-requests-per-sandbox</c> (SPEC §5): how many requests and open WebSockets each sandbox has in flight, so
/// one busy sandbox cannot take every connection of the ingress. A sandbox's counter exists only while it has
/// requests in flight, so memory follows the busy sandboxes, not all of them.
/// </summary>
internal sealed class SandboxConcurrency(int limit)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Counter> _inFlight = new(StringComparer.Ordinal);

    public int Limit { get; } = limit;

    /// <summary>Takes a slot for the sandbox; false when it already has <see cref="Limit"/> requests in flight.</summary>
    public bool TryEnter(string sandboxId)
    {
        while (true)
        {
            var counter = _inFlight.GetOrAdd(sandboxId, static _ => new Counter());
            lock (counter)
            {
                // A counter that reached 0 was removed by Exit after this thread found it: take a fresh one.
                if (counter.Removed)
                {
                    continue;
                }

                if (counter.Count >= Limit)
                {
                    return false;
                }

                counter.Count++;
                return true;
            }
        }
    }

    public void Exit(string sandboxId)
    {
        if (!_inFlight.TryGetValue(sandboxId, out var counter))
        {
            return;
        }

        lock (counter)
        {
            if (--counter.Count == 0)
            {
                counter.Removed = true;
                _inFlight.TryRemove(new KeyValuePair<string, Counter>(sandboxId, counter));
            }
        }
    }

    private sealed class Counter
    {
        public int Count;
        public bool Removed;
    }
}
