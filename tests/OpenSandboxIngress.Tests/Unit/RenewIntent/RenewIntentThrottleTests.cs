using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.RenewIntent;

namespace OpenSandbox.Ingress.Tests.Unit.RenewIntent;

public sealed class RenewIntentThrottleTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void One_intent_per_sandbox_per_interval()
    {
        var throttle = new RenewIntentThrottle(TimeSpan.FromSeconds(60), _clock);

        Assert.True(throttle.TryAcquire("a"));
        Assert.False(throttle.TryAcquire("a"));
        Assert.True(throttle.TryAcquire("b"));
        _clock.Advance(TimeSpan.FromSeconds(59.9));
        Assert.False(throttle.TryAcquire("a"));
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(throttle.TryAcquire("a"));
    }

    [Fact]
    public void Without_an_interval_every_intent_goes_and_nothing_is_tracked()
    {
        var throttle = new RenewIntentThrottle(TimeSpan.Zero, _clock);

        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(throttle.TryAcquire("a")));
        Assert.Equal(0, throttle.TrackedSandboxes);
    }

    [Fact]
    public void Memory_follows_recent_sandboxes_not_every_sandbox_ever_seen()
    {
        var throttle = new RenewIntentThrottle(TimeSpan.FromSeconds(60), _clock);
        for (var i = 0; i < 10_000; i++)
        {
            throttle.TryAcquire($"sandbox-{i}");
        }

        _clock.Advance(TimeSpan.FromSeconds(61));
        throttle.TryAcquire("recent");
        throttle.Sweep();

        Assert.Equal(1, throttle.TrackedSandboxes);
    }

    [Fact]
    public void Concurrent_requests_win_the_slot_once()
    {
        var throttle = new RenewIntentThrottle(TimeSpan.FromSeconds(60), _clock);
        var wins = 0;

        Parallel.For(0, 10_000, _ =>
        {
            if (throttle.TryAcquire("hot"))
            {
                Interlocked.Increment(ref wins);
            }
        });

        Assert.Equal(1, wins);
    }
}
