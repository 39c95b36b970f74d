using System.Diagnostics;
using System.Threading.Channels;
using OpenSandbox.Ingress.Limits;
using OpenTelemetry;

namespace OpenSandbox.Ingress.Tracing;

/// <summary>
/// Finished spans wait here for the OTLP exporter, which posts them from a thread of its own: a request only offers its
/// span to a bounded queue, and when the collector is slow or away the queue fills and further spans are dropped and
/// counted, never waited for. (OpenTelemetry's batch processor does the same but keeps its drop count to itself.)
/// </summary>
/// <remarks>
/// Bounded twice: at most <see cref="Capacity"/> spans, and at most <see cref="BudgetBytes"/> by each span's charge (its
/// fixed part plus its name, tags and events), so spans with long values cannot make the queue grow past the budget.
/// </remarks>
internal sealed class SpanExportQueue : BaseExportProcessor<Activity>
{
    public const int Capacity = 2048;

    /// <summary>What the queued spans may hold, by <see cref="Charge"/>.</summary>
    public const long BudgetBytes = 4L << 20;

    /// <summary>An Activity and its ids, tag list and timestamps, before its strings.</summary>
    private const int SpanOverheadBytes = 400;
    private const int BatchSize = 512;

    /// <summary>How long a batch waits to fill before it is sent anyway.</summary>
    private static readonly TimeSpan BatchDelay = TimeSpan.FromSeconds(1);

    /// <summary>Shutdown waits at most this long for the last batch, whatever the collector does.</summary>
    public static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(2);

    private readonly Channel<(Activity Span, int Charge)> _queue = Channel.CreateBounded<(Activity Span, int Charge)>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly ManualResetEventSlim _wake = new();
    private readonly Thread _thread;
    private long _dropped;
    private long _exported;
    private readonly ByteBudget _budget = new(BudgetBytes);

    public SpanExportQueue(BaseExporter<Activity> exporter)
        : base(exporter)
    {
        _thread = new Thread(ExportLoop) { IsBackground = true, Name = "OTLP span export" };
        _thread.Start();
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Spans handed to the exporter (whether the collector took them is the exporter's business).</summary>
    public long Exported => Interlocked.Read(ref _exported);

    /// <summary>Spans waiting now, by <see cref="Charge"/>.</summary>
    public long QueuedBytes => _budget.Queued;

    /// <summary>The bytes a finished span holds while queued: its fixed part, and two bytes a character of its strings.</summary>
    public static int Charge(Activity span)
    {
        var chars = span.DisplayName.Length;
        foreach (ref readonly var tag in span.EnumerateTagObjects())
        {
            chars += tag.Key.Length + ((tag.Value as string)?.Length ?? 0);
        }

        foreach (ref readonly var spanEvent in span.EnumerateEvents())
        {
            chars += spanEvent.Name.Length;
        }

        return SpanOverheadBytes + (2 * chars);
    }

    protected override void OnExport(Activity data)
    {
        if (!data.Recorded)
        {
            return;
        }

        var charge = Charge(data);
        if (!_budget.TryCharge(charge))
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        if (!_queue.Writer.TryWrite((data, charge)))
        {
            _budget.Release(charge);
            Interlocked.Increment(ref _dropped);
            return;
        }

        if (_queue.Reader.Count >= BatchSize)
        {
            _wake.Set();
        }
    }

    private void ExportLoop()
    {
        var batch = new Activity[BatchSize];
        var reader = _queue.Reader;
        while (true)
        {
            // 1. Wait for a full batch, the delay, or shutdown; then take what is there.
            _wake.Wait(BatchDelay);
            _wake.Reset();
            var count = 0;
            var taken = 0L;
            while (count < batch.Length && reader.TryRead(out var queued))
            {
                batch[count++] = queued.Span;
                taken += queued.Charge;
            }

            _budget.Release(taken);

            // 2. Post it (the exporter has its own timeout) and go round again at once while more are queued.
            if (count > 0)
            {
                exporter.Export(new Batch<Activity>(batch, count));
                Interlocked.Add(ref _exported, count);
                Array.Clear(batch, 0, count);
                if (reader.Count > 0)
                {
                    _wake.Set();
                }
            }
            else if (reader.Completion.IsCompleted)
            {
                return;
            }
        }
    }

    protected override bool OnForceFlush(int timeoutMilliseconds)
    {
        _wake.Set();
        return true;
    }

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        var wait = timeoutMilliseconds < 0 || timeoutMilliseconds > ShutdownWait.TotalMilliseconds ? (int)ShutdownWait.TotalMilliseconds : timeoutMilliseconds;
        var started = Stopwatch.GetTimestamp();
        _queue.Writer.TryComplete();
        _wake.Set();
        var drained = _thread.Join(wait);
        var left = Math.Max(0, wait - (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return exporter.Shutdown(left) && drained;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_thread.IsAlive)
        {
            _wake.Dispose();
        }

        base.Dispose(disposing);
    }
}
