namespace OpenSandbox.Ingress.Proxy;

/// <summary>How a <see cref="PortProbe"/> ended.</summary>
internal enum PortProbeOutcome
{
    /// <summary>A connection was made (or failed in a way no retry helps): the request is the forwarding stage's now.</summary>
    Sent,

    /// <summary>The hold stopped the attempt because the sandbox changed (deleted, pausing, moved).</summary>
    Abandoned,

    /// <summary>The port still refused when the hold's deadline came.</summary>
    DeadlinePassed,
}

/// <summary>
/// <c>--hold-probe-port</c>: a held request sent to a sandbox that is not ready yet, so it is served as soon as the
/// sandbox's port accepts. The connect-retry handler retries a refused connection (nothing of the request was sent, so
/// it is safe for every method) until <see cref="Window"/> has passed or the hold abandons the attempt; the hold learns
/// the outcome from <see cref="Ended"/> while the request may still be streaming.
/// </summary>
/// <param name="window">What is left of the hold's deadline.</param>
internal sealed class PortProbe(TimeSpan window) : IDisposable
{
    public static readonly HttpRequestOptionsKey<PortProbe> Key = new("OpenSandbox.PortProbe");

    private readonly CancellationTokenSource _abandon = new();
    private readonly TaskCompletionSource<PortProbeOutcome> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimeSpan Window => window;

    /// <summary>Cancelled when the hold abandons the attempt; the retry delays wait on it.</summary>
    public CancellationToken Abandoned => _abandon.Token;

    /// <summary>Completes once, with the first outcome reported.</summary>
    public Task<PortProbeOutcome> Ended => _ended.Task;

    public void Abandon() => _abandon.Cancel();

    /// <summary>Reports the outcome; the first report wins.</summary>
    public void Report(PortProbeOutcome outcome) => _ended.TrySetResult(outcome);

    /// <summary>Reports an outcome that did not connect and returns what ends the forwarding for it.</summary>
    public PortProbeEndedException Stop(PortProbeOutcome outcome)
    {
        Report(outcome);
        return new PortProbeEndedException(outcome);
    }

    public void Dispose() => _abandon.Dispose();
}

/// <summary>Ends a forwarding whose port probe did not connect; the hold, not the forwarding stage, answers the request.</summary>
internal sealed class PortProbeEndedException(PortProbeOutcome outcome) : Exception($"port probe ended: {outcome}")
{
    public PortProbeOutcome Outcome => outcome;
}
