namespace OpenSandbox.Ingress.Limits;

/// <summary>
/// The bytes a bounded queue may hold (log lines, renew intents, spans): an item is charged as it is queued and released
/// as it leaves, and one that does not fit is refused, so the queue never holds more, however many write at once.
/// </summary>
internal sealed class ByteBudget(long capacity)
{
    private long _queued;

    /// <summary>Bytes charged to items waiting now; never more than the capacity.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>Reserves <paramref name="bytes"/>, or refuses them when they do not fit.</summary>
    public bool TryCharge(long bytes)
    {
        var queued = Interlocked.Read(ref _queued);
        while (true)
        {
            if (queued + bytes > capacity)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _queued, queued + bytes, queued);
            if (seen == queued)
            {
                return true;
            }

            queued = seen;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _queued, -bytes);
}
