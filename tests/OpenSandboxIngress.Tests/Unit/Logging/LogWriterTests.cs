using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Logging;

public sealed class LogWriterTests
{
    private const long Budget = 64 * 1024;

    [Fact]
    public async Task With_stdout_blocked_the_queue_stays_within_its_byte_budget_drops_are_counted_and_reported_when_it_flows()
    {
        var output = new BlockingStream();
        var writer = new LogWriter(output, Budget);
        var line = Line(1000);
        var accepted = 0;
        var refused = 0;

        // The first batch reaches the stream and blocks there; everything after it waits in the queue or is dropped.
        writer.TryWrite(line);
        await Eventually.WaitAsync(() => Task.FromResult(output.Blocked), blocked => blocked, TimeSpan.FromSeconds(5), "the writer blocked in its write");
        for (var i = 0; i < 1000; i++)
        {
            if (writer.TryWrite(line))
            {
                accepted++;
            }
            else
            {
                refused++;
            }

            Assert.True(writer.QueuedBytes <= Budget, $"{writer.QueuedBytes} bytes queued");
        }

        Assert.Equal(Budget / line.Length, accepted);
        Assert.Equal(refused, writer.Dropped);

        output.Release();
        var expected = $"\"Message\":\"{refused} log lines dropped: stdout did not keep up\"";
        var text = await Eventually.WaitAsync(() => Task.FromResult(output.Text), t => t.Contains(expected, StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), "the dropped-lines report");
        await Eventually.WaitAsync(() => Task.FromResult(writer.QueuedBytes), queued => queued == 0, TimeSpan.FromSeconds(5), "the queue drained");
        await writer.DisposeAsync();

        var lines = output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + accepted + 1, lines.Length);
        var report = lines.Single(l => l.Contains("log lines dropped", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(report);
        Assert.Equal("Warning", json.RootElement.GetProperty("LogLevel").GetString());
        Assert.Equal(refused, json.RootElement.GetProperty("State").GetProperty("Count").GetInt64());
        Assert.Contains(expected, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_line_larger_than_the_budget_is_dropped_and_counted()
    {
        using var output = new MemoryStream();
        var writer = new LogWriter(output, Budget);

        Assert.False(writer.TryWrite(Line((int)Budget + 1)));
        Assert.True(writer.TryWrite(Line(100)));
        await writer.DisposeAsync();

        Assert.Equal(1, writer.Dropped);
        Assert.Contains("\"Message\":\"1 log lines dropped", Encoding.UTF8.GetString(output.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Access_entries_are_charged_by_the_length_of_their_fields()
    {
        var output = new BlockingStream();
        var writer = new LogWriter(output, Budget);
        writer.TryWrite(Line(10));
        await Eventually.WaitAsync(() => Task.FromResult(output.Blocked), blocked => blocked, TimeSpan.FromSeconds(5), "the writer blocked in its write");
        var longPath = "/" + new string('p', 60_000);

        var accepted = Enumerable.Range(0, 10).Count(_ => writer.TryWrite(new AccessLogEntry(DateTimeOffset.UnixEpoch, "GET", longPath, null, 404, 1, null)));

        // 60,000 characters held (120 KB as UTF-16) do not fit a 64 KiB budget, however short their line will be.
        Assert.Equal(0, accepted);
        Assert.Equal(10, writer.Dropped);
        output.Release();
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task Disposal_with_stdout_blocked_gives_up_after_the_flush_deadline()
    {
        var output = new BlockingStream();
        var writer = new LogWriter(output, Budget, flushDeadline: TimeSpan.FromMilliseconds(200));
        writer.TryWrite(Line(10));
        await Eventually.WaitAsync(() => Task.FromResult(output.Blocked), blocked => blocked, TimeSpan.FromSeconds(5), "the writer blocked in its write");
        writer.TryWrite(Line(10));

        var clock = Stopwatch.StartNew();
        await writer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"disposal took {clock.Elapsed}");
        Assert.False(writer.TryWrite(Line(10)));
        output.Release();
    }

    [Fact]
    public async Task Provider_lines_have_the_json_console_keys_and_long_values_are_cut()
    {
        using var output = new MemoryStream();
        var writer = new LogWriter(output);
        using (var provider = new JsonLineLoggerProvider(writer))
        {
            var logger = provider.CreateLogger("Some.Category");
            KeyValuePair<string, object?>[] values = [new("Count", 3), new("Reason", new string('r', 20_000)), new("{OriginalFormat}", "{Count} {Reason}")];
            logger.Log(LogLevel.Warning, new EventId(7), values, null, (_, _) => "3 " + new string('r', 20_000));
        }

        await writer.DisposeAsync();

        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(output.ToArray()));
        var root = json.RootElement;
        Assert.Equal(["Timestamp", "EventId", "LogLevel", "Category", "Message", "State"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(7, root.GetProperty("EventId").GetInt32());
        Assert.Equal("Warning", root.GetProperty("LogLevel").GetString());
        Assert.Equal("Some.Category", root.GetProperty("Category").GetString());
        var cut = "3 " + new string('r', LogLimits.MaxValueChars - 2) + LogLimits.TruncationMarker;
        Assert.Equal(cut, root.GetProperty("Message").GetString());
        var state = root.GetProperty("State");
        Assert.Equal(["Message", "Count", "Reason", "{OriginalFormat}"], state.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, state.GetProperty("Count").GetInt32());
        Assert.Equal(new string('r', LogLimits.MaxValueChars) + LogLimits.TruncationMarker, state.GetProperty("Reason").GetString());
    }

    private static byte[] Line(int length)
    {
        var line = new byte[length];
        line.AsSpan().Fill((byte)'x');
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>A stdout whose reader has stopped reading: every write blocks until <see cref="Release"/>.</summary>
    private sealed class BlockingStream : Stream
    {
        private readonly ManualResetEventSlim _open = new(false);
        private readonly MemoryStream _written = new();
        private volatile bool _blocked;

        public bool Blocked => _blocked;

        public string Text
        {
            get
            {
                lock (_written)
                {
                    return Encoding.UTF8.GetString(_written.ToArray());
                }
            }
        }

        public void Release() => _open.Set();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _blocked = !_open.IsSet;
            _open.Wait();
            lock (_written)
            {
                _written.Write(buffer);
            }
        }

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
