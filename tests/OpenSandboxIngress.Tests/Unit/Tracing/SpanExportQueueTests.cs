using System.Diagnostics;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tracing;
using OpenTelemetry;

namespace OpenSandbox.Ingress.Tests.Unit.Tracing;

/// <summary>The span queue in front of the exporter: a stalled collector costs the spans beyond the queue, counted, and nothing else.</summary>
public sealed class SpanExportQueueTests
{
    /// <summary>Holds every export until released, as a collector that does not answer.</summary>
    private sealed class StalledExporter : BaseExporter<Activity>
    {
        public ManualResetEventSlim Release { get; } = new();

        public int Received;

        public override ExportResult Export(in Batch<Activity> batch)
        {
            Interlocked.Add(ref Received, (int)batch.Count);
            Release.Wait(TimeSpan.FromSeconds(30));
            return ExportResult.Success;
        }
    }

    private static Activity Recorded()
    {
        var span = new Activity("request") { ActivityTraceFlags = ActivityTraceFlags.Recorded };
        span.SetIdFormat(ActivityIdFormat.W3C);
        return span.Start();
    }

    [Fact]
    public async Task Spans_beyond_the_queue_are_dropped_and_counted_at_once_while_the_exporter_is_stalled()
    {
        var exporter = new StalledExporter();
        using var queue = new SpanExportQueue(exporter);

        // 1. The first batch goes to the exporter, which stalls.
        for (var i = 0; i < 600; i++)
        {
            queue.OnEnd(Recorded());
        }

        await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref exporter.Received)), n => n > 0, TimeSpan.FromSeconds(5), "the first batch");
        var inExporter = Volatile.Read(ref exporter.Received);

        // 2. The queue fills; what does not fit is counted as dropped without waiting.
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 3000; i++)
        {
            queue.OnEnd(Recorded());
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"offering 3,000 spans took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(600 + 3000 - inExporter - SpanExportQueue.Capacity, queue.Dropped);

        // 3. A span that was not sampled is never queued.
        var unsampled = new Activity("unsampled").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        queue.OnEnd(unsampled.Start());
        Assert.Equal(600 + 3000 - inExporter - SpanExportQueue.Capacity, queue.Dropped);
        exporter.Release.Set();
    }

    [Fact]
    public async Task Shutdown_waits_for_a_stalled_exporter_no_longer_than_its_stated_bound()
    {
        var exporter = new StalledExporter();
        using var queue = new SpanExportQueue(exporter);
        queue.OnEnd(Recorded());
        queue.ForceFlush(0);
        await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref exporter.Received)), n => n == 1, TimeSpan.FromSeconds(5), "the export");

        var clock = Stopwatch.StartNew();
        queue.Shutdown(Timeout.Infinite);

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, SpanExportQueue.ShutdownWait + TimeSpan.FromSeconds(1));
        exporter.Release.Set();
    }

    [Fact]
    public async Task The_queue_is_bounded_in_bytes_as_well_as_in_spans()
    {
        var exporter = new StalledExporter();
        using var queue = new SpanExportQueue(exporter);
        queue.OnEnd(Recorded());
        await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref exporter.Received)), n => n == 1, TimeSpan.FromSeconds(5), "the exporter stalled");

        // Spans with a 100,000-character tag: far fewer than the span cap fit in the byte budget.
        var large = new string('x', 100_000);
        for (var i = 0; i < 100; i++)
        {
            var span = Recorded();
            span.SetTag("opensandbox.sandbox.id", large);
            queue.OnEnd(span);
        }

        var charge = SpanExportQueue.Charge(Recorded().SetTag("opensandbox.sandbox.id", large));
        Assert.Equal(100 - (SpanExportQueue.BudgetBytes / charge), queue.Dropped);
        Assert.InRange(queue.QueuedBytes, 0, SpanExportQueue.BudgetBytes);
        exporter.Release.Set();
    }
}
