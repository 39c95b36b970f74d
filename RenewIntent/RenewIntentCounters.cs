namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>What happened to renew intents since start; read by the shutdown log line (and metrics).</summary>
internal sealed class RenewIntentCounters
{
    private long _published;
    private long _throttled;
    private long _dropped;
    private long _failed;

    public long Published => Interlocked.Read(ref _published);
    public long Throttled => Interlocked.Read(ref _throttled);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Failed => Interlocked.Read(ref _failed);

    public void AddPublished() => Interlocked.Increment(ref _published);
    public void AddThrottled() => Interlocked.Increment(ref _throttled);
    public void AddDropped() => Interlocked.Increment(ref _dropped);
    public void AddFailed() => Interlocked.Increment(ref _failed);
}
