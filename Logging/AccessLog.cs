using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// The access log (SPEC §10): one JSON line per proxied request, in the same shape as the other log lines. The
/// request path only enqueues a small struct; a background writer formats lines in batches and writes each batch
/// with one call to the synchronised <see cref="Console.Out"/>, so lines never interleave with other log output.
/// When the queue is full (stdout blocked), lines are dropped and counted rather than slowing requests down.
/// It is not a hosted service on purpose: hosted services stop before the web server drains, and the requests
/// finishing during the drain must still be logged. Disposal (after the server has stopped) flushes the queue.
/// </summary>
internal sealed class AccessLog : IAsyncDisposable
{
    public const string Category = "OpenSandbox.Ingress.Access";
    private const int QueueCapacity = 65_536;
    private const int MaxBatch = 256;

    private readonly Channel<AccessLogEntry> _queue = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private readonly TextWriter _output;
    private readonly Task _writer;
    private long _dropped;

    public AccessLog(TextWriter? output = null)
    {
        _output = output ?? Console.Out;
        _writer = Task.Run(WriteUntilCompletedAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Write(in AccessLogEntry entry)
    {
        if (!_queue.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Writes every queued line, then stops taking new ones.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteUntilCompletedAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (WriteBatch(reader, buffer))
            {
            }
        }
    }

    /// <returns>False when the queue was empty.</returns>
    private bool WriteBatch(ChannelReader<AccessLogEntry> reader, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        var count = 0;
        while (count < MaxBatch && reader.TryRead(out var entry))
        {
            Format(entry, buffer);
            count++;
        }

        if (count > 0)
        {
            _output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }

        return count > 0;
    }

    /// <summary>The keys and order of the JSON console formatter, so one parser reads every line.</summary>
    internal static void Format(in AccessLogEntry entry, IBufferWriter<byte> output)
    {
        using (var json = new Utf8JsonWriter(output))
        {
            var client = entry.Client is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : entry.Client;
            var clientText = client?.ToString() ?? "-";
            var target = entry.Target ?? "-";
            json.WriteStartObject();
            json.WriteString("Timestamp", entry.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteNumber("EventId", 1);
            json.WriteString("LogLevel", "Information");
            json.WriteString("Category", Category);
            json.WriteString("Message", string.Create(CultureInfo.InvariantCulture,
                $"{entry.Method} {entry.Path} -> {target} {entry.Status} {entry.DurationMs:F1}ms from {clientText}"));
            json.WriteStartObject("State");
            json.WriteString("Method", entry.Method);
            json.WriteString("Path", entry.Path);
            json.WriteString("Target", target);
            json.WriteNumber("Status", entry.Status);
            json.WriteNumber("DurationMs", Math.Round(entry.DurationMs, 3));
            json.WriteString("Client", clientText);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        output.Write("\n"u8);
    }
}
