using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// The access log (SPEC §10): one JSON line per proxied request, in the same shape as the other log lines. The
/// request path only enqueues a small struct on a lock-free queue; a writer thread of its own formats lines straight to
/// UTF-8 and writes them in batches of up to 64 KiB, one write each. Once woken by the first line after a quiet spell,
/// it sleeps a few milliseconds so that under load one wake-up carries a batch, not a line. Producers wake it through
/// an event only when it sleeps; no thread-pool thread is involved (an earlier channel-based writer woke one per batch,
/// and its spinning cost more than the formatting).
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

    private readonly ConcurrentQueue<AccessLogEntry> _queue = new();
    private readonly ManualResetEventSlim _wake = new(initialState: false, spinCount: 1);
    private readonly Stream _output;
    private readonly object _outputLock;
    private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _queued;
    private int _writerSleeping;
    private volatile bool _completed;
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
        if (_completed || Interlocked.Increment(ref _queued) > QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(entry);
        if (Volatile.Read(ref _writerSleeping) == 1 && Interlocked.Exchange(ref _writerSleeping, 0) == 1)
        {
            _wake.Set();
        }
    }

    /// <summary>Writes every queued line, then stops taking new ones.</summary>
    public async ValueTask DisposeAsync()
    {
        _completed = true;
        _wake.Set();
        await _written.Task.ConfigureAwait(false);
        _wake.Dispose();
    }

    private void WriteUntilCompleted()
    {
        var buffer = new ArrayBufferWriter<byte>(BatchBytes + 4096);
        var line = new LineFormatter();
        while (true)
        {
            if (_queue.IsEmpty)
            {
                if (_completed)
                {
                    break;
                }

                // Announce the sleep before looking again, so a line enqueued in between is either seen here or wakes us.
                _wake.Reset();
                Interlocked.Exchange(ref _writerSleeping, 1);
                if (_queue.IsEmpty && !_completed)
                {
                    _wake.Wait();
                    Thread.Sleep(BatchWindow);
                }

                Interlocked.Exchange(ref _writerSleeping, 0);
                continue;
            }

            buffer.ResetWrittenCount();
            var lines = 0;
            while (buffer.WrittenCount < BatchBytes && _queue.TryDequeue(out var entry))
            {
                line.Format(entry, buffer);
                lines++;
            }

            Interlocked.Add(ref _queued, -lines);
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

        _written.SetResult();
    }

    /// <summary>The keys and order of the JSON console formatter, so one parser reads every line.</summary>
    internal static void Format(in AccessLogEntry entry, IBufferWriter<byte> output) => new LineFormatter().Format(entry, output);

    /// <summary>
    /// Writes lines byte for byte as <see cref="Utf8JsonWriter"/> with its default encoder would (the tests hold it to
    /// that), but copies the constant parts and plain-ASCII values as they are: on the writer thread, escaping through the
    /// JSON writer was three quarters of the cost of a line. No allocation per line unless a value needs escaping.
    /// </summary>
    private sealed class LineFormatter
    {
        /// <summary>Characters the default JSON encoder leaves as they are; a value with any other takes the encoder.</summary>
        private static readonly SearchValues<char> Plain =
            SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -._~:/?#[]@!$()*,;=%");

        private static readonly byte[] Header = Encoding.UTF8.GetBytes(
            $"\",\"EventId\":1,\"LogLevel\":\"Information\",\"Category\":\"{Category}\",\"Message\":\"");

        private readonly byte[] _timestamp = new byte["yyyy-MM-ddTHH:mm:ss.fffZ".Length];
        private readonly byte[] _number = new byte[64];
        private long _timestampSecond = -1;

        public void Format(in AccessLogEntry entry, IBufferWriter<byte> output)
        {
            var client = ClientAddress.Normalize(entry.Client);
            var clientText = client is null ? "-" : client.ToString();
            var target = entry.Target ?? "-";
            output.Write("{\"Timestamp\":\""u8);
            output.Write(Timestamp(entry.At.UtcDateTime));
            output.Write(Header);
            String(output, entry.Method);
            output.Write(" "u8);
            String(output, entry.Path);
            output.Write(" -\\u003E "u8);
            String(output, target);
            output.Write(" "u8);
            Number(output, entry.Status, null);
            output.Write(" "u8);
            Number(output, entry.DurationMs, "F1");
            output.Write("ms from "u8);
            String(output, clientText);
            output.Write("\",\"State\":{\"Method\":\""u8);
            String(output, entry.Method);
            output.Write("\",\"Path\":\""u8);
            String(output, entry.Path);
            output.Write("\",\"Target\":\""u8);
            String(output, target);
            output.Write("\",\"Status\":"u8);
            Number(output, entry.Status, null);
            output.Write(",\"DurationMs\":"u8);
            Number(output, Math.Round(entry.DurationMs, 3), null);
            output.Write(",\"Client\":\""u8);
            String(output, clientText);
            output.Write("\"}}\n"u8);
        }

        /// <summary>The inside of a JSON string, escaped as the default encoder escapes it.</summary>
        private static void String(IBufferWriter<byte> output, string value)
        {
            if (!value.AsSpan().ContainsAnyExcept(Plain))
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
}
