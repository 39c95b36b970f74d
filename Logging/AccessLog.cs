using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// The access log (SPEC §10): one JSON line per proxied request, in the same shape as the other log lines. The
/// request path only enqueues a small struct; a writer thread of its own formats lines straight to UTF-8 and writes them
/// in batches of up to 64 KiB, one write each. It sleeps a few milliseconds after the first queued line so that under
/// load one wake-up carries a batch, not a line (a wake-up per line cost more than the proxying did), and it is not a
/// thread-pool thread, so the pool stays idle instead of spinning up for every batch.
/// Batches go to the standard output stream while holding the lock of <see cref="Console.Out"/>, the lock the other log
/// lines are written under, so lines never interleave. When the queue is full (stdout blocked), lines are dropped and
/// counted rather than slowing requests down.
/// It is not a hosted service on purpose: hosted services stop before the web server drains, and the requests
/// finishing during the drain must still be logged. Disposal (after the server has stopped) flushes the queue.
/// </summary>
internal sealed class AccessLog : IAsyncDisposable
{
    public const string Category = "OpenSandbox.Ingress.Access";
    private const int QueueCapacity = 65_536;
    private const int BatchBytes = 64 * 1024;
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(5);

    private readonly Channel<AccessLogEntry> _queue = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private readonly Stream _output;
    private readonly object _outputLock;
    private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _dropped;

    /// <param name="output">Where lines go (tests); standard output when null.</param>
    public AccessLog(Stream? output = null)
    {
        _output = output ?? Console.OpenStandardOutput();
        _outputLock = output is null ? Console.Out : new object();
        new Thread(WriteUntilCompleted) { IsBackground = true, Name = "access log" }.Start();
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
        await _written.Task.ConfigureAwait(false);
    }

    private void WriteUntilCompleted()
    {
        var buffer = new ArrayBufferWriter<byte>(BatchBytes + 4096);
        var line = new LineFormatter();
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            if (!reader.Completion.IsCompleted)
            {
                Thread.Sleep(BatchWindow);
            }

            while (reader.TryPeek(out _))
            {
                buffer.ResetWrittenCount();
                var lines = 0;
                while (buffer.WrittenCount < BatchBytes && reader.TryRead(out var entry))
                {
                    line.Format(entry, buffer);
                    lines++;
                }

                try
                {
                    lock (_outputLock)
                    {
                        _output.Write(buffer.WrittenSpan);
                        _output.Flush();
                    }
                }
                catch (IOException)
                {
                    // Standard output is gone (a closed pipe): the lines are lost, counted, and requests go on.
                    Interlocked.Add(ref _dropped, lines);
                }
            }
        }

        _written.SetResult();
    }

    /// <summary>The keys and order of the JSON console formatter, so one parser reads every line.</summary>
    internal static void Format(in AccessLogEntry entry, IBufferWriter<byte> output) => new LineFormatter().Format(entry, output);

    /// <summary>Formats lines with one reused JSON writer and scratch buffer: no allocation per line.</summary>
    private sealed class LineFormatter
    {
        private byte[] _scratch = new byte[4096];
        private readonly Utf8JsonWriter _json = new(Stream.Null);

        public void Format(in AccessLogEntry entry, IBufferWriter<byte> output)
        {
            var json = _json;
            json.Reset(output);
            var client = entry.Client is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : entry.Client;
            json.WriteStartObject();
            json.WriteString("Timestamp", Utf8(entry.At.UtcDateTime, "yyyy-MM-ddTHH:mm:ss.fffZ"));
            json.WriteNumber("EventId", 1);
            json.WriteString("LogLevel", "Information");
            json.WriteString("Category", Category);
            json.WriteString("Message", Message(entry, client));
            json.WriteStartObject("State");
            json.WriteString("Method", entry.Method);
            json.WriteString("Path", entry.Path);
            json.WriteString("Target", entry.Target ?? "-");
            json.WriteNumber("Status", entry.Status);
            json.WriteNumber("DurationMs", Math.Round(entry.DurationMs, 3));
            json.WriteString("Client", client is null ? "-"u8 : Utf8(client, null));
            json.WriteEndObject();
            json.WriteEndObject();
            json.Flush();
            output.Write("\n"u8);
        }

        private ReadOnlySpan<byte> Utf8<T>(T value, string? format) where T : IUtf8SpanFormattable =>
            value.TryFormat(_scratch, out var written, format, CultureInfo.InvariantCulture) ? _scratch.AsSpan(0, written) : [];

        /// <summary>The human-readable summary; a path longer than the scratch buffer grows it.</summary>
        private ReadOnlySpan<byte> Message(in AccessLogEntry entry, System.Net.IPAddress? client)
        {
            var target = entry.Target ?? "-";
            object clientText = client is null ? "-" : client;
            int written;
            while (!System.Text.Unicode.Utf8.TryWrite(_scratch, CultureInfo.InvariantCulture,
                $"{entry.Method} {entry.Path} -> {target} {entry.Status} {entry.DurationMs:F1}ms from {clientText}", out written))
            {
                _scratch = new byte[_scratch.Length * 2];
            }

            return _scratch.AsSpan(0, written);
        }
    }
}
