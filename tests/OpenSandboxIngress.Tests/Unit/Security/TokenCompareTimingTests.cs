using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

/// <summary>
/// A sanity check that the token compare is fixed-time, not a timed test for CI (timings on shared machines are
/// noisy): run it with <c>--explicit only</c> and read the figures it prints.
/// </summary>
public sealed class TokenCompareTimingTests
{
    private const int Tries = 100_000;

    [Fact(Explicit = true)]
    public void A_wrong_first_byte_is_not_rejected_faster_than_a_wrong_last_byte()
    {
        var token = new string('t', 64);
        var guard = new AccessGuard(SecureAccessKeys.None, new FakeTimeProvider());
        var route = new SandboxRoute("sb", 80, "/");
        var wrongFirst = new DefaultHttpContext().Request;
        wrongFirst.Headers[IngressHeaders.SecureAccess] = "x" + token[1..];
        var wrongLast = new DefaultHttpContext().Request;
        wrongLast.Headers[IngressHeaders.SecureAccess] = token[..^1] + "x";
        var first = new long[Tries];
        var last = new long[Tries];

        for (var i = 0; i < Tries; i++)
        {
            // Interleaved, so drift on the machine hits both alike.
            first[i] = Time(() => guard.Check(token, route, wrongFirst));
            last[i] = Time(() => guard.Check(token, route, wrongLast));
        }

        Array.Sort(first);
        Array.Sort(last);
        var (firstMedian, lastMedian) = (Nanoseconds(first[Tries / 2]), Nanoseconds(last[Tries / 2]));
        TestContext.Current.TestOutputHelper!.WriteLine(
            $"median ns: wrong first byte {firstMedian:F0}, wrong last byte {lastMedian:F0}; " +
            $"p10 {Nanoseconds(first[Tries / 10]):F0}/{Nanoseconds(last[Tries / 10]):F0}; p90 {Nanoseconds(first[Tries * 9 / 10]):F0}/{Nanoseconds(last[Tries * 9 / 10]):F0}");
        Assert.True(firstMedian > lastMedian * 0.8, "a wrong first byte returned measurably faster");
    }

    private static long Time(Func<AccessDecision> check)
    {
        var start = Stopwatch.GetTimestamp();
        var decision = check();
        var elapsed = Stopwatch.GetTimestamp() - start;
        Assert.False(decision.IsAllowed);
        return elapsed;
    }

    private static double Nanoseconds(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
}
