using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// A client connection that sends bytes exactly as given (HttpClient refuses malformed requests) and reads what comes
/// back: a response with its framing (Content-Length, chunked with trailers, or a bare head), a response head, or
/// everything until the server closes. Text is Latin-1, one char per byte, unless the bytes are asked for. Every read
/// has a deadline; missing it throws <see cref="TimeoutException"/>.
/// </summary>
internal sealed class RawHttp : IDisposable
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp = new();
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = [];
    private readonly TimeSpan _deadline;

    /// <param name="deadline">For connecting and for each read or write; <see cref="DefaultDeadline"/> when null.</param>
    public RawHttp(int port, TimeSpan? deadline = null)
    {
        _deadline = deadline ?? DefaultDeadline;
        using var timeout = new CancellationTokenSource(_deadline);
        _tcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token).AsTask().GetAwaiter().GetResult();
        _stream = _tcp.GetStream();
    }

    /// <summary>
    /// One request on its own connection, the answer's head read back. A server that refuses mid-request may still
    /// answer, and a reset after the answer keeps what arrived.
    /// </summary>
    /// <returns>The status code and the response head, or 0 when the server closed without answering.</returns>
    /// <exception cref="TimeoutException">Nothing came back in time: the server hangs.</exception>
    public static async Task<(int Status, string Head)> SendAsync(int port, byte[] request, TimeSpan deadline)
    {
        using var connection = new RawHttp(port, deadline);
        try
        {
            await connection.SendAsync(request);
        }
        catch (IOException)
        {
            // The server may refuse mid-request; its answer, if any, is still readable.
        }

        var head = await connection.ReadHeadAsync();
        return (StatusOf(head), head);
    }

    /// <returns>The status code of an HTTP/1.1 status line, 0 for anything else.</returns>
    public static int StatusOf(string head) =>
        head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && head.Length >= 12
            ? int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(_deadline);
        try
        {
            await _stream.WriteAsync(bytes, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"could not send within {_deadline}");
        }
    }

    /// <returns>
    /// The next response head (through its blank line), or whatever arrived before the server closed or reset the
    /// connection ("" when nothing did).
    /// </returns>
    public async Task<string> ReadHeadAsync()
    {
        var end = await FillUntilAsync(HeadEnd, closedIsAnAnswer: true);
        return Take(end < 0 ? _pending.Count : end);
    }

    /// <param name="bodyless">The response to a HEAD request: a head, whatever its length says.</param>
    /// <exception cref="IOException">The server closed before the response was complete.</exception>
    public async Task<(string Head, string Body, string Trailers)> ReadResponseAsync(bool bodyless = false)
    {
        var head = Take(await FillUntilAsync(HeadEnd));
        if (bodyless)
        {
            return (head, "", "");
        }

        var length = head.Split("\r\n").FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (length is not null)
        {
            var count = int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            await FillUntilAsync(text => text.Length >= count ? count : -1);
            return (head, Take(count), "");
        }

        // Chunked: read chunk by chunk, then the trailer section.
        var body = new StringBuilder();
        while (true)
        {
            var sizeLine = Take(await FillUntilAsync(text => text.IndexOf("\r\n", StringComparison.Ordinal) is var at and >= 0 ? at + 2 : -1));
            var size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                var trailers = Take(await FillUntilAsync(text =>
                    text.StartsWith("\r\n", StringComparison.Ordinal) ? 2 : text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var at and >= 0 ? at + 4 : -1));
                return (head, body.ToString(), trailers);
            }

            await FillUntilAsync(text => text.Length >= size + 2 ? size + 2 : -1);
            body.Append(Take(size + 2)[..size]);
        }
    }

    /// <returns>Everything received until the server closed (or reset) the connection, as Latin-1 text.</returns>
    public async Task<string> ReadUntilClosedAsync() => Encoding.Latin1.GetString(await ReadBytesUntilClosedAsync());

    /// <returns>Everything received until the server closed (or reset) the connection.</returns>
    public async Task<byte[]> ReadBytesUntilClosedAsync()
    {
        await FillUntilAsync(_ => -1, closedIsAnAnswer: true);
        var bytes = _pending.ToArray();
        _pending.Clear();
        return bytes;
    }

    public void Dispose() => _tcp.Dispose();

    private static int HeadEnd(string text) => text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var at and >= 0 ? at + 4 : -1;

    /// <summary>Reads until <paramref name="complete"/> gives the length of what is wanted from the bytes received.</summary>
    /// <param name="closedIsAnAnswer">A close or reset before that returns -1 instead of throwing <see cref="IOException"/>.</param>
    private async Task<int> FillUntilAsync(Func<string, int> complete, bool closedIsAnAnswer = false)
    {
        using var timeout = new CancellationTokenSource(_deadline);
        var buffer = new byte[8192];
        try
        {
            while (complete(Encoding.Latin1.GetString(_pending.ToArray())) is var at && at < 0)
            {
                int read;
                try
                {
                    read = await _stream.ReadAsync(buffer, timeout.Token);
                }
                catch (IOException) when (closedIsAnAnswer)
                {
                    // Reset instead of closed: the same for the client.
                    return -1;
                }

                if (read == 0)
                {
                    return closedIsAnAnswer ? -1
                        : throw new IOException("closed before a complete response: " + Encoding.Latin1.GetString(_pending.ToArray()));
                }

                _pending.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"no complete answer within {_deadline}: " + Encoding.Latin1.GetString(_pending.ToArray()));
        }

        return complete(Encoding.Latin1.GetString(_pending.ToArray()));
    }

    private string Take(int count)
    {
        var text = Encoding.Latin1.GetString(_pending.GetRange(0, count).ToArray());
        _pending.RemoveRange(0, count);
        return text;
    }
}
