using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// Formats access lines on the log writer's thread, in the keys and order of the other log lines so one parser reads
/// every line. The path and target are masked (<see cref="SignatureMask"/>) and the method and path are cut
/// (<see cref="LogLimits.MaxMethodChars"/>, <see cref="LogLimits.MaxPathChars"/>) here, off the request path.
/// Writes byte for byte what <see cref="Utf8JsonWriter"/> with its default encoder would (the tests hold it to that), but
/// copies the constant parts and plain-ASCII values as they are: escaping through the JSON writer was three quarters of
/// the cost of a line. No allocation per line unless a value needs escaping, masking or cutting.
/// </summary>
internal sealed class AccessLineFormatter
{
    /// <summary>What a queued entry is charged beyond its text: the struct, the client address and the line's fixed part.</summary>
    private const int EntryOverheadBytes = 400;

    /// <summary>Characters the default JSON encoder leaves as they are; a value with any other takes the encoder.</summary>
    private static readonly SearchValues<char> Plain =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -._~:/?#[]@!$()*,;=%");

    private static readonly byte[] Header = Encoding.UTF8.GetBytes(
        $"\",\"EventId\":1,\"LogLevel\":\"Information\",\"Category\":\"{AccessLog.Category}\",\"Message\":\"");

    private static readonly byte[] Marker = JsonEncodedText.Encode(LogLimits.TruncationMarker).EncodedUtf8Bytes.ToArray();

    private readonly byte[] _timestamp = new byte["yyyy-MM-ddTHH:mm:ss.fffZ".Length];
    private readonly byte[] _number = new byte[64];
    private long _timestampSecond = -1;

    /// <summary>
    /// The bytes an entry holds while queued, from its field lengths alone (it is not formatted yet): its strings take two
    /// bytes a character in memory, and its line writes the path and target twice. Whichever is larger is about this.
    /// </summary>
    public static int Charge(in AccessLogEntry entry) =>
        EntryOverheadBytes + (2 * (entry.Method.Length + entry.Path.Length + (entry.Target?.Length ?? 0)));

    public void Format(in AccessLogEntry entry, IBufferWriter<byte> output)
    {
        var client = ClientAddress.Normalize(entry.Client);
        var clientText = client is null ? "-" : client.ToString();
        var target = entry.Target is null ? "-" : SignatureMask.Apply(entry.Target);
        var path = SignatureMask.InPath(entry.Path);
        output.Write("{\"Timestamp\":\""u8);
        output.Write(Timestamp(entry.At.UtcDateTime));
        output.Write(Header);
        Cut(output, entry.Method, LogLimits.MaxMethodChars);
        output.Write(" "u8);
        Cut(output, path, LogLimits.MaxPathChars);
        output.Write(" -\\u003E "u8);
        String(output, target);
        output.Write(" "u8);
        Number(output, entry.Status, null);
        output.Write(" "u8);
        Number(output, entry.DurationMs, "F1");
        output.Write("ms from "u8);
        String(output, clientText);
        output.Write(entry.Upgrade switch { UpgradeLine.Opened => " upgrade opened"u8, UpgradeLine.Closed => " upgrade closed"u8, _ => ""u8 });
        output.Write("\",\"State\":{\"Method\":\""u8);
        Cut(output, entry.Method, LogLimits.MaxMethodChars);
        output.Write("\",\"Path\":\""u8);
        Cut(output, path, LogLimits.MaxPathChars);
        output.Write("\",\"Target\":\""u8);
        String(output, target);
        output.Write("\",\"Status\":"u8);
        Number(output, entry.Status, null);
        output.Write(",\"DurationMs\":"u8);
        Number(output, Math.Round(entry.DurationMs, 3), null);
        output.Write(",\"Client\":\""u8);
        String(output, clientText);
        output.Write("\",\"TraceId\":\""u8);
        String(output, entry.TraceId ?? "-");
        output.Write("\",\"BytesReceived\":"u8);
        Number(output, entry.Received, null);
        output.Write(",\"BytesSent\":"u8);
        Number(output, entry.Sent, null);
        if (entry.Upgrade != UpgradeLine.None)
        {
            output.Write(entry.Upgrade == UpgradeLine.Opened ? ",\"Upgrade\":\"opened\""u8 : ",\"Upgrade\":\"closed\""u8);
        }

        output.Write("}}\n"u8);
    }

    /// <summary>A client chooses the method and the path: past <paramref name="max"/> characters they are cut and marked.</summary>
    private static void Cut(IBufferWriter<byte> output, string value, int max)
    {
        var kept = LogLimits.Cut(value, max);
        String(output, kept);
        if (kept.Length < value.Length)
        {
            output.Write(Marker);
        }
    }

    /// <summary>The inside of a JSON string, escaped as the default encoder escapes it.</summary>
    private static void String(IBufferWriter<byte> output, ReadOnlySpan<char> value)
    {
        if (!value.ContainsAnyExcept(Plain))
        {
            var span = output.GetSpan(value.Length);
            var written = Encoding.ASCII.GetBytes(value, span);
            output.Advance(written);
            return;
        }

        output.Write(JsonEncodedText.Encode(value).EncodedUtf8Bytes);
    }

    private void Number<T>(IBufferWriter<byte> output, T value, string? format) where T : IUtf8SpanFormattable
    {
        value.TryFormat(_number, out var written, format, CultureInfo.InvariantCulture);
        output.Write(_number.AsSpan(0, written));
    }

    /// <summary><c>yyyy-MM-ddTHH:mm:ss.fffZ</c>: the part up to the second is formatted once a second.</summary>
    private ReadOnlySpan<byte> Timestamp(DateTime utc)
    {
        var second = utc.Ticks / TimeSpan.TicksPerSecond;
        if (second != _timestampSecond)
        {
            utc.TryFormat(_timestamp, out _, "yyyy-MM-ddTHH:mm:ss.", CultureInfo.InvariantCulture);
            _timestampSecond = second;
        }

        var millisecond = utc.Millisecond;
        _timestamp[^4] = (byte)('0' + (millisecond / 100));
        _timestamp[^3] = (byte)('0' + (millisecond / 10 % 10));
        _timestamp[^2] = (byte)('0' + (millisecond % 10));
        _timestamp[^1] = (byte)'Z';
        return _timestamp;
    }
}
