using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// A sandbox that answers with exactly the bytes a test scripts, framing mistakes included, which a real HTTP
/// server would never send. Each request head and body is read, recorded, and answered by the
/// script; the script may also close the connection afterwards without saying so.
/// </summary>
internal sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, Reply> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Task _accepting;
    private int _connections;

    public ScriptedBackend(Func<string, Reply> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections the ingress opened to this sandbox.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Every request as received: head and body.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <param name="Pieces">Written one after another, each flushed, with a short pause between them.</param>
    /// <param name="CloseAfter">Close the connection after the reply (whatever the reply said).</param>
    public sealed record Reply(IReadOnlyList<string> Pieces, bool CloseAfter = false)
    {
        public static Reply Of(string text, bool closeAfter = false) => new([text], closeAfter);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var request = TakeRequest(pending);
                if (request is null)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    pending.AddRange(buffer.AsSpan(0, read));
                    continue;
                }

                _requests.Enqueue(request);
                var reply = _script(request);
                for (var i = 0; i < reply.Pieces.Count; i++)
                {
                    if (i > 0)
                    {
                        await Task.Delay(20, _stop.Token);
                    }

                    await stream.WriteAsync(Encoding.Latin1.GetBytes(reply.Pieces[i]), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                }

                if (reply.CloseAfter)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // The ingress or the test went away.
        }
    }

    /// <summary>One complete request (head and body) off the front of the bytes received, or null.</summary>
    private static string? TakeRequest(List<byte> pending)
    {
        var text = Encoding.Latin1.GetString(pending.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return null;
        }

        var lines = text[..headEnd].Split("\r\n");
        var lengthLine = lines.FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var total = headEnd + 4 + length;
        if (lines.Any(line => line.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            // Good enough for the tests' uploads: the body ends with the first last-chunk.
            var end = text.IndexOf("0\r\n\r\n", headEnd + 4, StringComparison.Ordinal);
            total = end < 0 ? int.MaxValue : end + 5;
        }

        if (text.Length < total)
        {
            return null;
        }

        pending.RemoveRange(0, total);
        return text[..total];
    }
}
