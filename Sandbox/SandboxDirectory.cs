using System.Collections.Concurrent;

namespace OpenSandbox.Ingress.Sandbox;

/// <summary>
/// The in-memory cache every provider feeds and every request reads: sandbox name → the records of that
/// name across the watched namespaces. Readers never lock; writers (one source at a time) serialise on a lock
/// and replace per-name arrays, so a reader always sees a whole record set.
/// </summary>
internal sealed class SandboxDirectory(SandboxNaming naming)
{
    private readonly Lock _writeLock = new();
    private volatile ConcurrentDictionary<string, SandboxRecord[]> _byName = new(StringComparer.Ordinal);
    private volatile bool _synced;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes at the next write of any kind. A waiter takes it before it reads, then awaits it, so no change between
    /// the read and the wait is missed; waiters never run on the writer's thread.
    /// </summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;

    /// <summary>True once the source has delivered its first complete picture (SPEC §3).</summary>
    public bool IsSynced => _synced;

    public int Count
    {
        get
        {
            var count = 0;
            foreach (var pair in _byName)
            {
                count += pair.Value.Length;
            }

            return count;
        }
    }

    /// <summary>
    /// Finds a sandbox by the id a request names, trying the provider's name candidates in order. A candidate other
    /// than the id itself only matches agent-sandbox records, so a BatchSandbox (in a mixed <c>file</c> directory) is
    /// reached by its exact name alone.
    /// </summary>
    public SandboxLookup Lookup(string sandboxId)
    {
        var byName = _byName;
        foreach (var name in naming.Candidates(sandboxId))
        {
            if (!byName.TryGetValue(name, out var records))
            {
                continue;
            }

            if (name != sandboxId)
            {
                records = Array.FindAll(records, static r => r.Kind == SandboxKind.AgentSandbox);
            }

            switch (records.Length)
            {
                case 0:
                    continue;
                case 1:
                    return new SandboxLookup(records[0], null);
                default:
                    return new SandboxLookup(null, Array.ConvertAll(records, static r => r.Namespace));
            }
        }

        return SandboxLookup.NotFound;
    }

    /// <summary>Replaces the whole picture at once (initial list, relist, file rescan) and marks the cache synced.</summary>
    public void ReplaceAll(IEnumerable<SandboxRecord> records)
    {
        var byName = new ConcurrentDictionary<string, SandboxRecord[]>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            byName.AddOrUpdate(record.Name, static (_, r) => [r], static (_, existing, r) => WithRecord(existing, r), record);
        }

        lock (_writeLock)
        {
            _byName = byName;
            _synced = true;
        }

        SignalChange();
    }

    public void Upsert(SandboxRecord record)
    {
        lock (_writeLock)
        {
            var byName = _byName;
            byName[record.Name] = byName.TryGetValue(record.Name, out var existing) ? WithRecord(existing, record) : [record];
        }

        SignalChange();
    }

    public void Remove(string @namespace, string name)
    {
        lock (_writeLock)
        {
            var byName = _byName;
            if (!byName.TryGetValue(name, out var existing))
            {
                return;
            }

            var remaining = Array.FindAll(existing, r => r.Namespace != @namespace);
            if (remaining.Length == 0)
            {
                byName.TryRemove(name, out _);
            }
            else
            {
                byName[name] = remaining;
            }
        }

        SignalChange();
    }

    private void SignalChange() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>A copy of the array with the record of the same namespace replaced, or the record added.</summary>
    private static SandboxRecord[] WithRecord(SandboxRecord[] existing, SandboxRecord record)
    {
        var index = Array.FindIndex(existing, r => r.Namespace == record.Namespace);
        if (index >= 0)
        {
            var copy = (SandboxRecord[])existing.Clone();
            copy[index] = record;
            return copy;
        }

        return [.. existing, record];
    }
}
