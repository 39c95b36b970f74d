using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using OpenSandbox.Ingress.Limits;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// The one way out to stdout for every line the process writes (SPEC §10): the framework's and our own log lines, already
/// formatted to UTF-8, and access-log entries, formatted here. Producers never wait: an item is charged its size against a
/// budget in bytes (<see cref="LogLimits.BudgetBytes"/>), and one that does not fit is dropped and counted, so memory stays
/// bounded and requests go on whatever stdout does. One dedicated thread takes items off an unbounded channel (the budget,
/// not the channel, bounds it; the channel's own slots, under 100 bytes an item, come on top) and writes them in batches
/// of up to 64 KiB, one write each; when that write blocks on a stalled pipe, only this thread waits. Once a write goes through again, the next batch starts with a line saying how
/// many lines were dropped.
/// At shutdown (<see cref="DisposeAsync"/>, when the container is disposed after the server has drained, so the lines of the
/// drain are written) the writer gets a short deadline to flush and is then left behind: a stalled stdout never holds up the exit.
/// </summary>
internal sealed class LogWriter : IAsyncDisposable, IDisposable
{
    public const string Category = "OpenSandbox.Ingress.Logging";
    private const int BatchBytes = 64 * 1024;

    /// <summary>
    /// After a quiet spell the first line waits this long for company, so that under load one wake-up of this thread
    /// carries a batch rather than a line (a wake-up per line cost 7 context switches per request at one connection).
    /// </summary>
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(5);
    /// <summary>Half a second: with Redis's close (at most 0.5 s) and Kestrel's own, exit stays within the drain + 2 s.</summary>
    public static readonly TimeSpan DefaultFlushDeadline = TimeSpan.FromMilliseconds(500);

    // A line that ends a quiet spell wakes the writer from the producer's thread, not through a thread-pool hop.
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = true,
    });
    private readonly Stream _output;
    private readonly ByteBudget _budget;
    private readonly TimeSpan _flushDeadline;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AccessLineFormatter _accessLines = new();
    private long _dropped;
    private long _reported;

    /// <param name="output">Where lines go (tests); standard output when null.</param>
    public LogWriter(Stream? output = null, long budgetBytes = LogLimits.BudgetBytes, TimeSpan? flushDeadline = null, TimeProvider? time = null)
    {
        _output = output ?? Console.OpenStandardOutput();
        _budget = new ByteBudget(budgetBytes);
        _flushDeadline = flushDeadline ?? DefaultFlushDeadline;
        _time = time ?? TimeProvider.System;
        new Thread(WriteUntilCompleted) { IsBackground = true, Name = "log writer" }.Start();
    }

    /// <summary>Bytes charged to lines waiting for stdout; never more than the budget.</summary>
    public long QueuedBytes => _budget.Queued;

    /// <summary>Lines dropped since start: over the budget, after shutdown, or lost to a closed stdout.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues one formatted line (ending in a newline), copied; false when it was dropped.</summary>
    public bool TryWrite(ReadOnlySpan<byte> line) => TryCharge(line.Length) && Enqueue(new Item(line.ToArray(), default, line.Length));

    /// <summary>Queues an access-log entry, charged from its field lengths and formatted on the writer thread.</summary>
    public bool TryWrite(in AccessLogEntry entry)
    {
        var charge = AccessLineFormatter.Charge(entry);
        return TryCharge(charge) && Enqueue(new Item(null, entry, charge));
    }

    /// <summary>Stops taking lines and lets the writer flush for a short while; what stdout does not take by then is lost.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _stopped.Task.WaitAsync(_flushDeadline);
        }
        catch (TimeoutException)
        {
            // stdout is stalled: the writer thread stays blocked in its write and ends with the process.
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stopped.Task.Wait(_flushDeadline);
    }

    /// <summary>Reserves <paramref name="bytes"/> of the budget, or counts a drop.</summary>
    private bool TryCharge(long bytes)
    {
        if (_budget.TryCharge(bytes))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    private bool Enqueue(in Item item)
    {
        if (_queue.Writer.TryWrite(item))
        {
            return true;
        }

        // Shutting down: the channel is closed.
        _budget.Release(item.Charge);
        Interlocked.Increment(ref _dropped);
        return false;
    }

    private void WriteUntilCompleted()
    {
        var batch = new ArrayBufferWriter<byte>(2 * BatchBytes);
        var reader = _queue.Reader;
        try
        {
            while (true)
            {
                batch.ResetWrittenCount();
                ReportDrops(batch);
                var lines = 0;
                long charged = 0;
                try
                {
                    while (batch.WrittenCount < BatchBytes && reader.TryRead(out var item))
                    {
                        lines++;
                        charged += item.Charge;
                        if (item.Line is { } line)
                        {
                            batch.Write(line);
                        }
                        else
                        {
                            _accessLines.Format(item.Access, batch);
                        }
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A line that cannot be formatted must not end this thread (and with it the process): the batch is
                    // dropped and counted, and the next one starts clean.
                    batch.ResetWrittenCount();
                    Interlocked.Add(ref _dropped, lines);
                    lines = 0;
                }

                // Released before the write: what waits on a stalled pipe is this one batch, outside the budget.
                _budget.Release(charged);
                if (batch.WrittenCount > 0)
                {
                    Write(batch.WrittenSpan, lines);
                    if (batch.Capacity > 4 * BatchBytes)
                    {
                        // One very long line grew the buffer: do not keep that much for good.
                        batch = new ArrayBufferWriter<byte>(2 * BatchBytes);
                    }
                }
                else if (!WaitForLines(reader))
                {
                    return;
                }
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>
    /// Blocks this thread (and only it) until a line is queued, then lets a batch gather; false once the channel is
    /// closed and empty.
    /// </summary>
    private static bool WaitForLines(ChannelReader<Item> reader)
    {
        var wait = reader.WaitToReadAsync();
        if (!(wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult()))
        {
            return false;
        }

        Thread.Sleep(BatchWindow);
        return true;
    }

    private void Write(ReadOnlySpan<byte> bytes, int lines)
    {
        try
        {
            _output.Write(bytes);
            _output.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stdout is gone (a closed pipe): the lines are lost and counted, and nothing else notices.
            Interlocked.Add(ref _dropped, lines);
        }
    }

    /// <summary>Lines dropped since the last report, in one line of the usual shape, ahead of what is written next.</summary>
    private void ReportDrops(ArrayBufferWriter<byte> batch)
    {
        var dropped = Interlocked.Read(ref _dropped);
        if (dropped == _reported)
        {
            return;
        }

        var count = dropped - _reported;
        _reported = dropped;
        using var json = new Utf8JsonWriter(batch);
        JsonLogLine.Write(json, _time.GetUtcNow(), new Microsoft.Extensions.Logging.EventId(1), Microsoft.Extensions.Logging.LogLevel.Warning,
            Category, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{count} log lines dropped: stdout did not keep up"),
            exception: null, new DroppedState(count));
        json.Flush();
        batch.Write("\n"u8);
    }

    /// <summary>What waits for stdout: a formatted line, or an access-log entry to format.</summary>
    private readonly record struct Item(byte[]? Line, AccessLogEntry Access, int Charge);
}
