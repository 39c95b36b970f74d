namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// The access log (SPEC §10): one JSON line per proxied request, in the same shape as the other log lines. A request only
/// hands its entry to the shared <see cref="LogWriter"/>, which charges it against the log budget and formats it on its own
/// thread (<see cref="AccessLineFormatter"/>: signatures masked, the path cut to a fixed length). Written at <c>info</c> and
/// below, like every other information line.
/// </summary>
internal sealed class AccessLog(LogWriter writer, bool enabled)
{
    public const string Category = "OpenSandbox.Ingress.Access";

    public void Write(in AccessLogEntry entry)
    {
        if (enabled)
        {
            writer.TryWrite(entry);
        }
    }
}
