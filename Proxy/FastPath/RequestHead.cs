using System.Text;
using Microsoft.Extensions.Primitives;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// The head of one HTTP/1.1 request, parsed strictly enough that forwarding its bytes cannot mean something other than
/// what Kestrel would have understood. Anything outside that narrow, common shape is not an error here: the parser says
/// no, and the request goes to Kestrel and the full handler, which answer or reject it exactly as before.
/// One instance per connection, reused for each request on it.
/// </summary>
internal sealed class RequestHead
{
    private const int MaxHeaders = 100;
    private const int MaxBodyDigits = 9;

    private readonly List<HeaderLine> _headers = new(16);
    private ReadOnlyMemory<byte> _source;

    /// <summary>Request line and header bytes, up to and including the empty line.</summary>
    public int Length { get; private set; }

    public string Method { get; private set; } = "";

    /// <summary>The origin-form target, as received (no percent sign, no dot segment: see <see cref="IsPlainTarget"/>).</summary>
    public string Target { get; private set; } = "";

    /// <summary>The target's path, what Kestrel's decoded <c>Path</c> would also be for such a target.</summary>
    public string Path { get; private set; } = "";

    /// <summary>The one Host header's value.</summary>
    public string Host { get; private set; } = "";

    public int ContentLength { get; private set; }

    public bool IsHead => Method == "HEAD";

    /// <summary>The client asked to close the connection after this request.</summary>
    public bool WantsClose { get; private set; }

    /// <summary>Every header line, in order; those of kind <see cref="HeaderKind.Forwarded"/> go to the sandbox unchanged.</summary>
    public IReadOnlyList<HeaderLine> Headers => _headers;

    /// <summary>
    /// Reads a complete head from the start of <paramref name="buffer"/> (referenced until the next call).
    /// False when the head is incomplete or not of the plain shape this path forwards.
    /// </summary>
    public bool TryParse(ReadOnlyMemory<byte> buffer)
    {
        _headers.Clear();
        _source = buffer;
        ContentLength = 0;
        WantsClose = false;
        var span = buffer.Span;
        var lineEnd = span.IndexOf("\r\n"u8);
        if (lineEnd < 0 || !TryParseRequestLine(span[..lineEnd]))
        {
            return false;
        }

        var position = lineEnd + 2;
        var contentLengths = 0;
        var hosts = 0;
        while (true)
        {
            var rest = span[position..];
            var end = rest.IndexOf("\r\n"u8);
            if (end < 0)
            {
                return false;
            }

            if (end == 0)
            {
                Length = position + 2;
                return contentLengths <= 1 && hosts == 1;
            }

            if (_headers.Count == MaxHeaders || !TryParseHeader(rest[..end], position, out var header))
            {
                return false;
            }

            switch (header.Kind)
            {
                case HeaderKind.NotForwardable:
                    return false;
                case HeaderKind.Host:
                    hosts++;
                    Host = Encoding.ASCII.GetString(Value(header));
                    break;
                case HeaderKind.ContentLength:
                    contentLengths++;
                    if (!TryParseContentLength(Value(header)))
                    {
                        return false;
                    }

                    break;
                case HeaderKind.Connection:
                    if (Ascii.EqualsIgnoreCase(Value(header), "close"u8))
                    {
                        WantsClose = true;
                    }
                    else if (!Ascii.EqualsIgnoreCase(Value(header), "keep-alive"u8))
                    {
                        // Connection naming other headers makes them hop-by-hop: Kestrel's path handles that.
                        return false;
                    }

                    break;
            }

            _headers.Add(header);
            position += end + 2;
        }
    }

    /// <summary>Every value of a header, as the route reader and the renew-intent opt-out ask for them.</summary>
    public StringValues Values(string name)
    {
        StringValues values = default;
        foreach (var header in _headers)
        {
            if (Ascii.EqualsIgnoreCase(Name(header), name))
            {
                values = StringValues.Concat(values, Encoding.ASCII.GetString(Value(header)));
            }
        }

        return values;
    }

    /// <summary>The whole line of a forwarded header, CRLF included.</summary>
    public ReadOnlySpan<byte> Line(HeaderLine header) => _source.Span.Slice(header.Start, header.LineLength);

    private ReadOnlySpan<byte> Name(HeaderLine header) => _source.Span.Slice(header.Start, header.NameLength);

    private ReadOnlySpan<byte> Value(HeaderLine header) => _source.Span.Slice(header.ValueStart, header.ValueLength);

    private bool TryParseRequestLine(ReadOnlySpan<byte> line)
    {
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1 || !line[(lastSpace + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }

        var method = KnownMethod(line[..firstSpace]);
        var target = line[(firstSpace + 1)..lastSpace];
        if (method is null || !IsPlainTarget(target))
        {
            return false;
        }

        Method = method;
        Target = Encoding.ASCII.GetString(target);
        Path = target.IndexOf((byte)'?') is var query and >= 0 ? Target[..query] : Target;
        return true;
    }

    /// <summary>CONNECT, TRACE and extension methods take Kestrel's path.</summary>
    private static string? KnownMethod(ReadOnlySpan<byte> method) => method switch
    {
        _ when method.SequenceEqual("GET"u8) => "GET",
        _ when method.SequenceEqual("POST"u8) => "POST",
        _ when method.SequenceEqual("HEAD"u8) => "HEAD",
        _ when method.SequenceEqual("PUT"u8) => "PUT",
        _ when method.SequenceEqual("DELETE"u8) => "DELETE",
        _ when method.SequenceEqual("PATCH"u8) => "PATCH",
        _ when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        _ => null,
    };

    /// <summary>
    /// An origin-form target of printable ASCII with no percent-encoding and no dot segment: for these the raw target,
    /// Kestrel's decoded path and what the sandbox receives are the same string, so nothing needs decoding or normalising.
    /// </summary>
    internal static bool IsPlainTarget(ReadOnlySpan<byte> target)
    {
        if (target.IsEmpty || target[0] != '/')
        {
            return false;
        }

        foreach (var b in target)
        {
            if (b is <= 0x20 or >= 0x7F or (byte)'%' or (byte)'#' or (byte)'\\' or (byte)'"' or (byte)'<' or (byte)'>' or (byte)'`'
                or (byte)'^' or (byte)'{' or (byte)'|' or (byte)'}')
            {
                return false;
            }
        }

        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];
        foreach (var range in path.Split((byte)'/'))
        {
            var segment = path[range];
            if (segment.SequenceEqual("."u8) || segment.SequenceEqual(".."u8))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseHeader(ReadOnlySpan<byte> line, int lineStart, out HeaderLine header)
    {
        header = default;
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !HttpSyntax.IsToken(line[..colon]))
        {
            return false;
        }

        var valueStart = colon + 1;
        var valueEnd = line.Length;
        while (valueStart < valueEnd && line[valueStart] is (byte)' ' or (byte)'\t')
        {
            valueStart++;
        }

        while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
        {
            valueEnd--;
        }

        foreach (var b in line[valueStart..valueEnd])
        {
            if (b is < 0x20 and not (byte)'\t' or >= 0x7F)
            {
                return false;
            }
        }

        header = new HeaderLine(lineStart, line.Length + 2, colon, lineStart + valueStart, valueEnd - valueStart, Classify(line[..colon]));
        return true;
    }

    private bool TryParseContentLength(ReadOnlySpan<byte> value)
    {
        if (!HttpSyntax.TryParseDecimal(value, MaxBodyDigits, out var length))
        {
            return false;
        }

        ContentLength = (int)length;
        return true;
    }

    private static HeaderKind Classify(ReadOnlySpan<byte> name)
    {
        foreach (var (known, kind) in KnownHeaders)
        {
            if (Ascii.EqualsIgnoreCase(name, known))
            {
                return kind;
            }
        }

        return name.Length > 6 && Ascii.EqualsIgnoreCase(name[..6], "Proxy-"u8) ? HeaderKind.NotForwardable : HeaderKind.Forwarded;
    }

    /// <summary>
    /// Headers the fast path replaces or drops, and those whose presence sends the request to Kestrel's path
    /// (framing, upgrades and expectations it does not implement).
    /// </summary>
    private static readonly (byte[] Name, HeaderKind Kind)[] KnownHeaders =
    [
        ("Host"u8.ToArray(), HeaderKind.Host),
        ("Content-Length"u8.ToArray(), HeaderKind.ContentLength),
        ("Connection"u8.ToArray(), HeaderKind.Connection),
        ("Keep-Alive"u8.ToArray(), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.IngressTo), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.LegacyIngress), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.SecureAccess), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.AccessRenew), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.ForwardedFor), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.ForwardedProto), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.ForwardedHost), HeaderKind.Dropped),
        (Encoding.ASCII.GetBytes(IngressHeaders.ForwardedPrefix), HeaderKind.Dropped),
        ("Transfer-Encoding"u8.ToArray(), HeaderKind.NotForwardable),
        ("Upgrade"u8.ToArray(), HeaderKind.NotForwardable),
        ("Expect"u8.ToArray(), HeaderKind.NotForwardable),
        ("TE"u8.ToArray(), HeaderKind.NotForwardable),
        ("Trailer"u8.ToArray(), HeaderKind.NotForwardable),
        ("HTTP2-Settings"u8.ToArray(), HeaderKind.NotForwardable),
    ];
}

internal enum HeaderKind
{
    /// <summary>Sent to the sandbox unchanged.</summary>
    Forwarded,

    /// <summary>Replaced (Host, X-Forwarded-*) or removed (routing, secure-access, hop-by-hop).</summary>
    Dropped,
    Host,

    /// <summary>Forwarded unchanged, with the body it announces.</summary>
    ContentLength,
    Connection,

    /// <summary>The request takes Kestrel's path.</summary>
    NotForwardable,
}

/// <summary>Where one header line sits in the request buffer.</summary>
internal readonly record struct HeaderLine(int Start, int LineLength, int NameLength, int ValueStart, int ValueLength, HeaderKind Kind);
