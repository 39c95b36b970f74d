using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.RenewIntent;

namespace OpenSandbox.Ingress.Tests.Unit.RenewIntent;

/// <summary>The renew-intent queue is bounded in bytes, not only in intents (SPEC §12); nothing is sent here.</summary>
public sealed class RenewIntentQueueTests
{
    [Fact]
    public void Intents_with_long_paths_are_dropped_once_the_queue_holds_its_byte_budget()
    {
        var counters = new RenewIntentCounters();
        using var publisher = new RedisRenewIntentPublisher(new RenewIntentOptions { Enabled = true, MinInterval = TimeSpan.Zero }, counters,
            new FakeTimeProvider(), NullLogger<RedisRenewIntentPublisher>.Instance);
        var longPath = "/" + new string('p', 60 * 1024);

        for (var i = 0; i < 100; i++)
        {
            publisher.Observe($"sandbox-{i}", 8080, longPath);
        }

        // 1 MiB holds eight intents of 120 KiB (two bytes a character); short ones still fit in the rest.
        Assert.Equal(92, counters.Dropped);
        for (var i = 0; i < 300; i++)
        {
            publisher.Observe($"short-{i}", 8080, "/");
        }

        Assert.Equal(92, counters.Dropped);
    }
}
