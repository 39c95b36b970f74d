using System.Diagnostics;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Waits on a condition with a deadline instead of sleeping for a fixed time.</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        T last;
        do
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(20);
        }
        while (clock.Elapsed < deadline);

        throw new TimeoutException($"{what} did not happen within {deadline.TotalSeconds:F1} s (last value: {last})");
    }
}
