using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using OpenSandbox.Ingress.Configuration;

namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>
/// Open sessions count as activity (SPEC §9): a forwarded request still running (a WebSocket, a streaming response)
/// reports its sandbox again once per interval while it stays open, so a user working in a terminal for an hour keeps
/// the sandbox alive. Each report goes through the same per-sandbox throttle as requests, so many sessions of one
/// sandbox still cost one intent per interval. Sessions are checked ten times per interval; a session is due one
/// interval after its last report, so a report never meets the throttle early.
/// </summary>
internal sealed class OpenSessions(IRenewIntents renewIntents, RenewIntentOptions options, TimeProvider time) : BackgroundService
{
    private readonly ConcurrentDictionary<Session, byte> _open = new();
    private readonly long _intervalTicks = (long)(options.MinInterval.TotalSeconds * time.TimestampFrequency);

    /// <summary>Forwarded requests open now.</summary>
    public int Count => _open.Count;

    /// <summary>Lists a forwarded request until the returned session is disposed.</summary>
    public Session Open(string sandboxId, int port, string pathAndQuery)
    {
        var session = new Session(this, sandboxId, port, pathAndQuery, time.GetTimestamp() + _intervalTicks);
        _open[session] = 0;
        return session;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.MinInterval / 10, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = time.GetTimestamp();
                foreach (var session in _open.Keys)
                {
                    if (now >= session.Due)
                    {
                        session.Due = now + _intervalTicks;
                        renewIntents.Observe(session.SandboxId, session.Port, session.PathAndQuery);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    internal sealed class Session(OpenSessions owner, string sandboxId, int port, string pathAndQuery, long due) : IDisposable
    {
        public string SandboxId { get; } = sandboxId;

        public int Port { get; } = port;

        public string PathAndQuery { get; } = pathAndQuery;

        /// <summary>The timestamp from which the next report is due; read and written by the checking loop only.</summary>
        public long Due { get; set; } = due;

        public void Dispose() => owner._open.TryRemove(this, out _);
    }
}
