using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

/// <summary>The browser's URL credentials: a hand-off code opens one session on a replica, and is forgotten when it has expired.</summary>
public sealed class BrowserCredentialsTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly SecureAccessKeys _keys;

    public BrowserCredentialsTests() => Assert.True(SecureAccessKeys.TryParse("k=c2VjcmV0", out _keys!, out _));

    private static SandboxRoute Route(string code) => new("box", 8080, $"/?{BrowserCredentials.Parameter}={code}");

    [Fact]
    public void A_hand_off_code_is_exchanged_once_and_a_replay_is_refused()
    {
        var credentials = new BrowserCredentials(_keys, new SpentHandoffs(_time), _time);
        var now = credentials.Now;
        var code = BrowserSessionToken.IssueHandoff(_keys, "box", 8080, "tok", now + 3600, now + SpentHandoffs.Lifetime);

        var first = credentials.CheckParameter("tok", Route(code), readSigned: false);
        var replay = credentials.CheckParameter("tok", Route(code), readSigned: false);

        Assert.True(first!.Value.IsAllowed);
        Assert.Contains("used already", replay!.Value.Refusal!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Spent_codes_are_forgotten_once_their_life_is_over()
    {
        var spent = new SpentHandoffs(_time);

        Assert.True(spent.TrySpend("a"));
        Assert.False(spent.TrySpend("a"));
        _time.Advance(TimeSpan.FromSeconds(SpentHandoffs.Lifetime + 2));

        Assert.True(spent.TrySpend("a"));
    }
}
