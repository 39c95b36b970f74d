using System.Collections.Concurrent;

namespace OpenSandbox.Ingress.Security;

/// <summary>
/// Hand-off codes this replica has already exchanged, so each one opens a session once here. Codes live
/// <see cref="Lifetime"/>, so a code is remembered that long and then forgotten. The set is capped, and a replica that
/// has seen <see cref="Capacity"/> hand-offs within one lifetime accepts further ones unremembered rather than grow:
/// replay protection is best-effort already (replicas share nothing), while refusing would let one tenant's flood of
/// hand-offs deny every sandbox's. Only a code's MAC (its last, fixed-length part, unique since the signed text holds a
/// random nonce) is kept, so the set is bounded in bytes too: about 6 MiB at <see cref="Capacity"/>.
/// </summary>
internal sealed class SpentHandoffs(TimeProvider time)
{
    /// <summary>
    /// How long a hand-off code is valid (the browser-session stage issues them for this long): long enough for a browser to
    /// follow one redirect, short enough that a leaked code is soon worthless.
    /// </summary>
    public const ulong Lifetime = 60;

    public const int Capacity = 50_000;

    private readonly ConcurrentDictionary<string, ulong> _spent = new(StringComparer.Ordinal);
    private ulong _nextSweep;

    /// <param name="code">A verified hand-off code.</param>
    /// <returns>False when <paramref name="code"/> was spent here before; true otherwise, remembered when there is room.</returns>
    public bool TrySpend(string code)
    {
        var mac = code[(code.LastIndexOf('.') + 1)..];
        var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
        // One caller a second sweeps: the one that moves the mark on.
        var due = Volatile.Read(ref _nextSweep);
        if (now >= due && Interlocked.CompareExchange(ref _nextSweep, now + 1, due) == due)
        {
            Sweep(now);
        }

        return _spent.Count >= Capacity ? !_spent.ContainsKey(mac) : _spent.TryAdd(mac, now + Lifetime + 1);
    }

    private void Sweep(ulong now)
    {
        foreach (var (code, forgetAt) in _spent)
        {
            if (now >= forgetAt)
            {
                _spent.TryRemove(new KeyValuePair<string, ulong>(code, forgetAt));
            }
        }
    }
}
