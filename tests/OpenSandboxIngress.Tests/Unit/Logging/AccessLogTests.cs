using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using OpenSandbox.Ingress.Logging;

namespace OpenSandbox.Ingress.Tests.Unit.Logging;

public sealed class AccessLogTests
{
    [Fact]
    public void A_line_is_one_json_object_with_the_fields_of_the_spec()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var entry = new AccessLogEntry(DateTimeOffset.Parse("2026-11-29T10:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture),
            "GET", "/a \"quoted\" path", "http://10.0.0.1:8080", 200, 1.23456, IPAddress.Parse("::ffff:192.0.2.1"));

        new AccessLineFormatter().Format(entry, buffer);

        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n", text);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal("2026-11-29T10:00:00.123Z", root.GetProperty("Timestamp").GetString());
        Assert.Equal("Information", root.GetProperty("LogLevel").GetString());
        Assert.Equal(AccessLog.Category, root.GetProperty("Category").GetString());
        var state = root.GetProperty("State");
        Assert.Equal("GET", state.GetProperty("Method").GetString());
        Assert.Equal("/a \"quoted\" path", state.GetProperty("Path").GetString());
        Assert.Equal("http://10.0.0.1:8080", state.GetProperty("Target").GetString());
        Assert.Equal(200, state.GetProperty("Status").GetInt32());
        Assert.Equal(1.235, state.GetProperty("DurationMs").GetDouble());
        Assert.Equal("192.0.2.1", state.GetProperty("Client").GetString());
    }

    [Fact]
    public async Task Entries_are_written_by_the_background_writer_in_order()
    {
        using var output = new MemoryStream();
        var log = new LogWriter(output);

        for (var i = 0; i < 1000; i++)
        {
            log.TryWrite(new AccessLogEntry(DateTimeOffset.UnixEpoch.AddMilliseconds(i * 7), "GET", $"/{i}", null, 404, 0.1, null));
        }

        await log.DisposeAsync();
        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1000, lines.Length);
        Assert.Contains("\"Path\":\"/999\"", lines[^1]);
        Assert.Contains("\"Target\":\"-\"", lines[0]);
        Assert.Equal(0, log.Dropped);
        // The writer formats the part of the timestamp up to the second once a second: every line must still be exact.
        for (var i = 0; i < lines.Length; i++)
        {
            var expected = DateTimeOffset.UnixEpoch.AddMilliseconds(i * 7).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($"\"Timestamp\":\"{expected}\"", lines[i]);
        }
    }

    [Fact]
    public void The_signature_of_a_signed_route_is_masked_in_the_path_of_the_line()
    {
        var entry = new AccessLogEntry(DateTimeOffset.UnixEpoch, "GET", "/tok/8080/tpn4zw/875fb654a/api", "http://10.0.0.1:8080", 200, 1, null);

        var line = FormatLine(entry);

        Assert.DoesNotContain("875fb654a", line, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(line);
        Assert.Equal("/tok/8080/tpn4zw/*********/api", json.RootElement.GetProperty("State").GetProperty("Path").GetString());
        Assert.StartsWith("GET /tok/8080/tpn4zw/*********/api -> http://10.0.0.1:8080 200", json.RootElement.GetProperty("Message").GetString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_60_KB_path_is_cut_to_2_KiB_and_marked()
    {
        var path = "/" + new string('a', 60_000);
        var entry = new AccessLogEntry(DateTimeOffset.UnixEpoch, "GET", path, null, 404, 1, null);

        var line = FormatLine(entry);

        using var json = JsonDocument.Parse(line);
        var logged = json.RootElement.GetProperty("State").GetProperty("Path").GetString()!;
        Assert.Equal(path[..LogLimits.MaxPathChars] + LogLimits.TruncationMarker, logged);
        Assert.Contains(path[..LogLimits.MaxPathChars] + LogLimits.TruncationMarker, json.RootElement.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.True(line.Length < (2 * LogLimits.MaxPathChars) + 512, $"line of {line.Length} bytes");
    }

    [Fact]
    public void A_long_method_token_is_cut_too()
    {
        var method = new string('M', 10_000);

        var line = FormatLine(new AccessLogEntry(DateTimeOffset.UnixEpoch, method, "/", null, 404, 1, null));

        using var json = JsonDocument.Parse(line);
        Assert.Equal(method[..LogLimits.MaxMethodChars] + LogLimits.TruncationMarker, json.RootElement.GetProperty("State").GetProperty("Method").GetString());
        Assert.True(line.Length < 1024, $"line of {line.Length} bytes");
    }

    private static string FormatLine(AccessLogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new AccessLineFormatter().Format(entry, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static readonly Gen<string> Texts = Gen.OneOf(
        Gen.String[Gen.Char["a-zA-Z0-9/._-"], 0, 30],
        Gen.String[Gen.Char.AlphaNumeric, 0, 10].Select(text => text + "\"<>&'+`\\ %?#"),
        Gen.String[0, 20]);

    [Fact]
    public void Lines_are_byte_for_byte_what_the_json_writer_with_its_default_encoder_writes() =>
        Gen.Select(Gen.OneOf(Gen.Const("GET"), Gen.Const("POST"), Texts), Texts, Gen.OneOf(Gen.Const((string?)null), Texts.Select(t => (string?)t)),
            Gen.Int[100, 599], Gen.OneOf(Gen.Double[0, 100], Gen.Double[0, 1e7], Gen.Const(0.0005), Gen.Const(2.5)),
            Gen.OneOf(Gen.Const((IPAddress?)null), Gen.Const<IPAddress?>(IPAddress.Parse("10.1.2.3")), Gen.Const<IPAddress?>(IPAddress.Parse("::ffff:192.0.2.1")),
                Gen.Const<IPAddress?>(IPAddress.Parse("fe80::1%2"))))
            .Sample((method, path, target, status, duration, client) =>
            {
                // The trace id, byte counts and upgrade line vary with the status, so every combination is met.
                var entry = new AccessLogEntry(DateTimeOffset.UnixEpoch.AddMilliseconds(123_456), method, path, target, status, duration, client,
                    status % 2 == 0 ? "4bf92f3577b34da6a3ce929d0e0e4736" : null, status * 1021L, (long)(duration * 7), (UpgradeLine)(status % 3));
                var written = new ArrayBufferWriter<byte>();
                new AccessLineFormatter().Format(entry, written);
                return Encoding.UTF8.GetString(written.WrittenSpan) == WithJsonWriter(entry);
            });

    /// <summary>The line as <see cref="Utf8JsonWriter"/> writes it: the shape of the JSON console formatter's lines.</summary>
    private static string WithJsonWriter(AccessLogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            var client = entry.Client is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : entry.Client;
            var target = entry.Target is null ? "-" : SignatureMask.Apply(entry.Target);
            var clientText = client?.ToString() ?? "-";
            var path = SignatureMask.InPath(entry.Path);
            path = path.Length > LogLimits.MaxPathChars ? path[..LogLimits.MaxPathChars] + LogLimits.TruncationMarker : path;
            json.WriteStartObject();
            json.WriteString("Timestamp", entry.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteNumber("EventId", 1);
            json.WriteString("LogLevel", "Information");
            json.WriteString("Category", AccessLog.Category);
            var upgrade = entry.Upgrade switch { UpgradeLine.Opened => " upgrade opened", UpgradeLine.Closed => " upgrade closed", _ => "" };
            json.WriteString("Message", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{entry.Method} {path} -> {target} {entry.Status} {entry.DurationMs:F1}ms from {clientText}{upgrade}"));
            json.WriteStartObject("State");
            json.WriteString("Method", entry.Method);
            json.WriteString("Path", path);
            json.WriteString("Target", target);
            json.WriteNumber("Status", entry.Status);
            json.WriteNumber("DurationMs", Math.Round(entry.DurationMs, 3));
            json.WriteString("Client", clientText);
            json.WriteString("TraceId", entry.TraceId ?? "-");
            json.WriteNumber("BytesReceived", entry.Received);
            json.WriteNumber("BytesSent", entry.Sent);
            if (entry.Upgrade != UpgradeLine.None)
            {
                json.WriteString("Upgrade", entry.Upgrade == UpgradeLine.Opened ? "opened" : "closed");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }
}
