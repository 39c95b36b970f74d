using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

/// <summary>The decision order of SPEC §8, one rule per test, with the clock under test control.</summary>
public sealed class AccessGuardTests
{
    private const string Token = "s3cr3t-token";
    private static readonly byte[] Secret = Convert.FromBase64String("dGVzdC1zZWNyZXQtYnl0ZXM=");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));

    private AccessGuard Guard(string keys = "a=dGVzdC1zZWNyZXQtYnl0ZXM=")
    {
        Assert.True(SecureAccessKeys.TryParse(keys, out var parsed, out _));
        return new AccessGuard(parsed!, _time);
    }

    private static SandboxRoute Signed(string expires = "x2qxvk", string? signature = null) =>
        new("my-sandbox", 9000, "/", Signature: new RouteSignature(expires, signature ?? "8e1e06e3a"));

    private static HttpRequest Headers(params string[] secureAccessValues)
    {
        var request = new DefaultHttpContext().Request;
        if (secureAccessValues.Length > 0)
        {
            request.Headers[IngressHeaders.SecureAccess] = secureAccessValues;
        }

        return request;
    }

    [Fact]
    public void Sandbox_without_token_is_open_whatever_the_request_carries() =>
        Assert.True(Guard().Check(null, Signed(signature: "000000000"), Headers("junk")).IsAllowed);

    [Fact]
    public void Right_header_token_is_allowed_even_with_a_garbage_signature() =>
        Assert.True(Guard().Check(Token, Signed(signature: "00000000a"), Headers(Token)).IsAllowed);

    [Fact]
    public void Wrong_header_token_is_401_with_no_fallback_to_a_valid_signature() =>
        Assert.Equal(401, Guard().Check(Token, Signed(), Headers("wrong")).StatusCode);

    [Fact]
    public void Empty_header_value_is_401() => Assert.Equal(401, Guard().Check(Token, Signed(), Headers("")).StatusCode);

    [Fact]
    public void Two_header_values_are_401() => Assert.Equal(401, Guard().Check(Token, Signed(), Headers(Token, Token)).StatusCode);

    [Fact]
    public void Valid_signed_route_is_allowed_and_read_signed()
    {
        var decision = Guard().Check(Token, Signed(), Headers());

        Assert.True(decision.IsAllowed);
        Assert.True(decision.ReadSigned);
    }

    [Fact]
    public void Signature_valid_until_the_expiry_second_inclusive()
    {
        _time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        Assert.True(Guard().Check(Token, Signed(), Headers()).IsAllowed);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(401, Guard().Check(Token, Signed(), Headers()).StatusCode);
    }

    [Fact]
    public void One_changed_hex_digit_is_401() => Assert.Equal(401, Guard().Check(Token, Signed(signature: "8e1e06e4a"), Headers()).StatusCode);

    [Fact]
    public void Unknown_key_id_is_401() => Assert.Equal(401, Guard().Check(Token, Signed(signature: "8e1e06e3b"), Headers()).StatusCode);

    [Theory]
    [InlineData("x2qxvk", "8E1E06E3A")]
    [InlineData("x2qxvk00000000", "8e1e06e3a")]
    [InlineData("0x2qxvk", "8e1e06e3a")]
    public void Malformed_signed_syntax_is_400(string expires, string signature) =>
        Assert.Equal(400, Guard().Check(Token, Signed(expires, signature), Headers()).StatusCode);

    [Fact]
    public void Signed_route_without_configured_keys_is_503() =>
        Assert.Equal(503, Guard(keys: "").Check(Token, Signed(), Headers()).StatusCode);

    [Fact]
    public void No_credential_at_all_is_401() =>
        Assert.Equal(401, Guard().Check(Token, new SandboxRoute("my-sandbox", 9000, "/"), Headers()).StatusCode);

    [Fact]
    public void Refusals_never_quote_the_token()
    {
        var decision = Guard().Check(Token, Signed(), Headers("wrong"));

        Assert.DoesNotContain(Token, decision.Refusal!.Reason);
        Assert.DoesNotContain("wrong", decision.Refusal.Reason);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("https://b-7681.example", true)]
    [InlineData("https://a-7681.example", false)]
    [InlineData("null", false)]
    public void A_session_cookie_counts_only_without_an_origin_or_from_the_sandboxs_own_origin(string? origin, bool allowed)
    {
        Assert.True(SecureAccessKeys.TryParse("a=dGVzdC1zZWNyZXQtYnl0ZXM=", out var keys, out _));
        var guard = new AccessGuard(keys!, _time, new BrowserCredentials(keys!, _time));
        var now = (ulong)_time.GetUtcNow().ToUnixTimeSeconds();
        var request = Headers();
        request.Scheme = "https";
        request.Host = new HostString("b-7681.example");
        request.Headers.Cookie = $"{BrowserCredentials.Cookie}={BrowserSessionToken.Issue(keys!, "b", 7681, Token, now + 60)}";
        if (origin is not null)
        {
            request.Headers.Origin = origin;
        }

        var decision = guard.Check(Token, new SandboxRoute("b", 7681, "/ws"), request);

        Assert.Equal(allowed, decision.IsAllowed);
        Assert.Equal(allowed ? 200 : 401, decision.StatusCode);
    }
}
