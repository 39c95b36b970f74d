using System.Buffers;
using System.Text;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>How the end of a response body is found.</summary>
internal enum BodyFraming
{
    /// <summary>HEAD, 1xx, 204 and 304 responses.</summary>
    None,
    ContentLength,

    /// <summary>Passed through as sent, chunk framing and trailers included.</summary>
    Chunked,

    /// <summary>HTTP/1.0 style: the body ends when the sandbox closes; re-framed as chunked for the client.</summary>
    UntilClose,
}

/// <summary>
/// The head of one response from a sandbox. Sandboxes run untrusted code, so the head is checked before any of it is
/// passed on: a malformed or ambiguous one (two lengths, a length and chunking, bare line feeds) is a 502.
/// </summary>
internal sealed class ResponseHead
{
    private const int MaxLengthDigits = 18;

    private readonly List<(int Start, int Length)> _kept = new(16);
    private byte[] _source = [];
    private int _statusTextStart;
    private int _statusTextLength;

    /// <summary>Status line and header bytes, up to and including the empty line.</summary>
    public int Length { get; private set; }

    public int StatusCode { get; private set; }

    public BodyFraming Framing { get; private set; }

    public long ContentLength { get; private set; }

    /// <summary>The sandbox's connection can carry another request once this body has been read.</summary>
    public bool Reusable { get; private set; }

    /// <summary>103 Early Hints and the like: passed on, and the final head follows.</summary>
    public bool IsInterim => StatusCode is >= 100 and < 200;

    public enum Outcome
    {
        Complete,
        Incomplete,
        Invalid,
    }

    public Outcome TryParse(byte[] buffer, int length, bool requestWasHead)
    {
        _kept.Clear();
        _source = buffer;
        ContentLength = 0;
        var span = buffer.AsSpan(0, length);
        var headEnd = span.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            return span.Contains((byte)0) ? Outcome.Invalid : Outcome.Incomplete;
        }

        var lineEnd = span.IndexOf("\r\n"u8);
        if (!TryParseStatusLine(span[..lineEnd], out var http10))
        {
            return Outcome.Invalid;
        }

        var closes = http10;
        var chunked = false;
        var lengths = 0;
        List<string>? connectionTokens = null;
        var position = lineEnd + 2;
        while (position < headEnd + 2)
        {
            var end = span[position..].IndexOf("\r\n"u8);
            var line = span.Slice(position, end);
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !HttpSyntax.IsToken(line[..colon]) || line.ContainsAny((byte)'\r', (byte)'\n', (byte)0))
            {
                return Outcome.Invalid;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (chunked || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return Outcome.Invalid;
                }

                chunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (++lengths > 1 || !TryParseLength(value))
                {
                    return Outcome.Invalid;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                foreach (var range in value.Split((byte)','))
                {
                    var token = value[range].Trim(" \t"u8);
                    if (Ascii.EqualsIgnoreCase(token, "close"u8))
                    {
                        closes = true;
                    }
                    else if (!token.IsEmpty && !Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
                    {
                        (connectionTokens ??= []).Add(Encoding.ASCII.GetString(token));
                    }
                }

                position += end + 2;
                continue;
            }

            if (!IsHopByHop(name))
            {
                _kept.Add((position, end + 2));
            }

            position += end + 2;
        }

        if (chunked && lengths > 0 || StatusCode == 101)
        {
            return Outcome.Invalid;
        }

        if (connectionTokens is not null)
        {
            _kept.RemoveAll(line => connectionTokens.Exists(token => Ascii.EqualsIgnoreCase(NameOf(line), token)));
        }

        Length = headEnd + 4;
        Framing = requestWasHead || IsInterim || StatusCode is 204 or 304 ? BodyFraming.None
            : chunked ? BodyFraming.Chunked
            : lengths == 1 ? BodyFraming.ContentLength
            : BodyFraming.UntilClose;
        Reusable = !closes && Framing != BodyFraming.UntilClose;
        return Outcome.Complete;
    }

    /// <summary>The head the client receives: HTTP/1.1, hop-by-hop headers removed, the ingress mark added.</summary>
    public void WriteForClient(IBufferWriter<byte> output, bool closeClient)
    {
        HttpSyntax.Append(output, "HTTP/1.1 "u8);
        HttpSyntax.Append(output, _source.AsSpan(_statusTextStart, _statusTextLength));
        HttpSyntax.Append(output, "\r\n"u8);
        foreach (var (start, length) in _kept)
        {
            HttpSyntax.Append(output, _source.AsSpan(start, length));
        }

        if (!IsInterim)
        {
            HttpSyntax.Append(output, PoweredByLine);
            if (Framing == BodyFraming.UntilClose)
            {
                HttpSyntax.Append(output, "Transfer-Encoding: chunked\r\n"u8);
            }

            if (closeClient)
            {
                HttpSyntax.Append(output, "Connection: close\r\n"u8);
            }
        }

        HttpSyntax.Append(output, "\r\n"u8);
    }

    private static readonly byte[] PoweredByLine = Encoding.ASCII.GetBytes($"{IngressHeaders.PoweredBy}: {IngressHeaders.PoweredByValue}\r\n");

    private ReadOnlySpan<byte> NameOf((int Start, int Length) line)
    {
        var text = _source.AsSpan(line.Start, line.Length);
        return text[..text.IndexOf((byte)':')];
    }

    private bool TryParseStatusLine(ReadOnlySpan<byte> line, out bool http10)
    {
        http10 = line.StartsWith("HTTP/1.0 "u8);
        if (!(http10 || line.StartsWith("HTTP/1.1 "u8)) || line.Length < 12 || line.Length > 12 && line[12] != ' ')
        {
            return false;
        }

        var code = line.Slice(9, 3);
        if (code.ContainsAnyExceptInRange((byte)'0', (byte)'9') || code[0] == '0')
        {
            return false;
        }

        StatusCode = ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
        _statusTextStart = 9;
        _statusTextLength = line.Length - 9;
        return true;
    }

    private bool TryParseLength(ReadOnlySpan<byte> value)
    {
        if (!HttpSyntax.TryParseDecimal(value, MaxLengthDigits, out var length))
        {
            return false;
        }

        ContentLength = length;
        return true;
    }

    private static bool IsHopByHop(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8) || Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8)
        || Ascii.EqualsIgnoreCase(name, "Upgrade"u8) || Ascii.EqualsIgnoreCase(name, IngressHeaders.PoweredBy);
}
