using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

public sealed class BrowserSessionTokenTests
{
    private const ulong Now = 1_800_000_000;
    private static readonly string Tok = BrowserSessionToken.TokenDigest("tok");

    private static SecureAccessKeys Keys(string text)
    {
        Assert.True(SecureAccessKeys.TryParse(text, out var keys, out _));
        return keys;
    }

    [Fact]
    public void A_session_holds_for_its_sandbox_port_and_token_until_it_expires()
    {
        var keys = Keys("a=c2VjcmV0,b=b3RoZXI=");
        var value = BrowserSessionToken.Issue(keys, "box", 8080, "tok", Now + 60);

        Assert.StartsWith("a.", value, StringComparison.Ordinal);
        Assert.True(BrowserSessionToken.TryVerify(keys, value, "box", 8080, Tok, Now, out var expires));
        Assert.Equal(Now + 60, expires);
        Assert.False(BrowserSessionToken.TryVerify(keys, value, "box", 8081, Tok, Now, out _));
        Assert.False(BrowserSessionToken.TryVerify(keys, value, "other", 8080, Tok, Now, out _));
        Assert.False(BrowserSessionToken.TryVerify(keys, value, "box", 8080, BrowserSessionToken.TokenDigest("rotated"), Now, out _));
        Assert.False(BrowserSessionToken.TryVerify(keys, value, "box", 8080, Tok, Now + 61, out _));
        Assert.False(BrowserSessionToken.TryVerify(Keys("b=b3RoZXI="), value, "box", 8080, Tok, Now, out _));
        Assert.False(BrowserSessionToken.TryVerify(keys, value[..^1] + (value[^1] == '0' ? '1' : '0'), "box", 8080, Tok, Now, out _));
    }

    [Fact]
    public void A_handoff_code_is_not_a_session_and_lives_only_its_short_life()
    {
        var keys = Keys("a=c2VjcmV0");
        var code = BrowserSessionToken.IssueHandoff(keys, "box", 8080, "tok", Now + 3600, Now + 60);

        Assert.True(BrowserSessionToken.TryVerifyHandoff(keys, code, "box", 8080, Tok, Now, out var expires));
        Assert.Equal(Now + 3600, expires);
        Assert.False(BrowserSessionToken.TryVerifyHandoff(keys, code, "box", 8080, Tok, Now + 61, out _));
        Assert.False(BrowserSessionToken.TryVerify(keys, code, "box", 8080, Tok, Now, out _));
    }

    [Fact]
    public void A_hostile_value_is_refused_without_allocating_in_proportion_to_its_length()
    {
        var keys = Keys("a=c2VjcmV0");
        var dots = new string('.', 60_000);
        BrowserSessionToken.TryVerifyHandoff(keys, dots, "box", 8080, Tok, Now, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var session = BrowserSessionToken.TryVerify(keys, dots, "box", 8080, Tok, Now, out _);
        var handoff = BrowserSessionToken.TryVerifyHandoff(keys, dots, "box", 8080, Tok, Now, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(session);
        Assert.False(handoff);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated");
    }
}
