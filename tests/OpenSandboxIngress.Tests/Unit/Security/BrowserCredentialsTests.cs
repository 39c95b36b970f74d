using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Net.Http.Headers;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

/// <summary>The browser's URL credentials: a hand-off code is checked, not spent; spent codes are forgotten when they have expired.</summary>
public sealed class BrowserCredentialsTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly SecureAccessKeys _keys;

    public BrowserCredentialsTests() => Assert.True(SecureAccessKeys.TryParse("k=c2VjcmV0", out _keys!, out _));

    private static SandboxRoute Route(string code) => new("box", 8080, $"/?{BrowserCredentials.Parameter}={code}");

    [Fact]
    public void The_access_check_does_not_spend_a_hand_off_code_so_a_503_and_a_refresh_find_it_unspent()
    {
        var credentials = new BrowserCredentials(_keys, _time);
        var now = credentials.Now;
        var code = BrowserSessionToken.IssueHandoff(_keys, "box", 8080, "tok", now + 3600, now + SpentHandoffs.Lifetime);

        var first = credentials.CheckParameter("tok", Route(code), readSigned: false)!.Value;
        var again = credentials.CheckParameter("tok", Route(code), readSigned: false)!.Value;

        Assert.Equal(AccessCredential.Handoff, first.Credential);
        Assert.True(again.IsAllowed);
        Assert.Equal(now + 3600, again.Expires);
    }

    [Fact]
    public void Two_codes_issued_in_the_same_second_differ()
    {
        var now = (ulong)_time.GetUtcNow().ToUnixTimeSeconds();

        Assert.NotEqual(
            BrowserSessionToken.IssueHandoff(_keys, "box", 8080, "tok", now + 3600, now + SpentHandoffs.Lifetime),
            BrowserSessionToken.IssueHandoff(_keys, "box", 8080, "tok", now + 3600, now + SpentHandoffs.Lifetime));
    }

    [Fact]
    public void A_full_set_accepts_new_codes_rather_than_refuse_every_sandboxs_hand_offs_and_still_catches_remembered_ones()
    {
        var spent = new SpentHandoffs(_time);
        for (var i = 0; i < SpentHandoffs.Capacity; i++)
        {
            Assert.True(spent.TrySpend(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.True(spent.TrySpend("new"));
        Assert.False(spent.TrySpend("0"));
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

    [Fact]
    public void A_cookie_header_of_a_thousand_session_values_is_checked_four_times_at_most()
    {
        var credentials = new BrowserCredentials(_keys, _time);
        var forged = $"{BrowserCredentials.Cookie}=k.{SignedRouteSyntax.FormatExpires(credentials.Now + 60)}.{new string('0', 32)}";
        var headers = new HeaderDictionary { [HeaderNames.Cookie] = string.Join("; ", Enumerable.Repeat(forged, 1_000)) };
        credentials.HasSession("tok", Route("x"), headers);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = credentials.HasSession("tok", Route("x"), headers);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(found);
        Assert.True(allocated < 8 * 1024, $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_repeated_parameter_is_401_even_when_one_value_is_the_token()
    {
        var decision = new BrowserCredentials(_keys, _time).CheckParameter("tok", Route("tok&opensandbox-access=other"), readSigned: false);

        Assert.Equal(401, decision!.Value.StatusCode);
        Assert.Contains("more than one", decision.Value.Refusal!.Reason, StringComparison.Ordinal);
    }
}
