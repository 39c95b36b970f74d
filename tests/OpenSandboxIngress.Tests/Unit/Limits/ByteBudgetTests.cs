using OpenSandbox.Ingress.Limits;

namespace OpenSandbox.Ingress.Tests.Unit.Limits;

public sealed class ByteBudgetTests
{
    [Fact]
    public void What_does_not_fit_is_refused_until_something_is_released()
    {
        var budget = new ByteBudget(100);

        Assert.True(budget.TryCharge(60));
        Assert.False(budget.TryCharge(41));
        Assert.True(budget.TryCharge(40));
        Assert.Equal(100, budget.Queued);
        budget.Release(60);
        Assert.True(budget.TryCharge(41));
        Assert.Equal(81, budget.Queued);
    }

    [Fact]
    public void Writers_racing_never_take_it_over_its_capacity_and_every_charge_is_accounted()
    {
        var budget = new ByteBudget(1_000);
        var granted = 0;

        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                if (budget.TryCharge(7))
                {
                    Interlocked.Increment(ref granted);
                }
            }
        });

        Assert.Equal(1_000 / 7, granted);
        Assert.Equal(7L * granted, budget.Queued);
    }
}
