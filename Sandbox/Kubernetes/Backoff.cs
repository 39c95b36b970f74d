namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// Capped exponential backoff with jitter between reconnects. The cap is short (5 s) because while the API server
/// is away, routes keep being served from the cache, and after it returns new sandboxes should appear within seconds.
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    public static Backoff Default() => new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));

    private int _failures;

    /// <summary>The next delay: initial × 2^failures, capped, with 50–100 % jitter so many replicas do not reconnect in step.</summary>
    public TimeSpan Next()
    {
        var exponential = initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 20));
        _failures++;
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    public void Reset() => _failures = 0;
}
