using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The credentials a browser can carry (SPEC §8, <c>--browser-sessions</c>): the <c>opensandbox-access</c> query
/// parameter (the sandbox's token, an OSEP-0011 grant <c>{expires_b36}-{signature}</c> for the sandbox and port, or a
/// hand-off code) and the <c>opensandbox-session</c> cookie. Registered only when browser sessions are on.
/// </summary>
internal sealed class BrowserCredentials(SecureAccessKeys keys, TimeProvider time)
{
    public const string Parameter = "opensandbox-access";
    public const string Cookie = "opensandbox-session";

    /// <summary>
    /// Session values checked per request: a browser sends the one cookie of this host or prefix, a few where others of
    /// the same name match too (a parent path, say); more is hostile, and each check costs a hash.
    /// </summary>
    public const int MaxSessionValues = 4;

    public SecureAccessKeys Keys => keys;

    public ulong Now => (ulong)time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>The decision for a query parameter, when the request carries one; it decides alone, as the header does.</summary>
    public AccessDecision? CheckParameter(string accessToken, SandboxRoute route, bool readSigned)
    {
        if (AccessParameter.Find(route.PathAndQuery, out var repeated) is not { } presented)
        {
            return null;
        }

        var id = route.SandboxId;
        if (repeated)
        {
            return new AccessDecision(new ErrorResponse(ErrorCode.AccessDenied, $"more than one {Parameter} parameter for sandbox {id}", id, route.Port),
                ReadSigned: false);
        }

        if (AccessGuard.FixedTimeEquals(accessToken, presented))
        {
            return AccessDecision.Allow(readSigned, AccessCredential.Parameter);
        }

        var now = Now;
        if (IsGrant(presented, route, now, out var grantExpires))
        {
            return AccessDecision.Allow(readSigned, AccessCredential.Parameter, grantExpires);
        }

        // Not spent here: a request refused later (503, a hold that times out) would leave the browser with a spent code.
        if (BrowserSessionToken.TryVerifyHandoff(keys, presented, id, route.Port, BrowserSessionToken.TokenDigest(accessToken), now, out grantExpires))
        {
            return AccessDecision.Allow(readSigned, AccessCredential.Handoff, grantExpires);
        }

        return new AccessDecision(new ErrorResponse(ErrorCode.AccessDenied, $"invalid {Parameter} for sandbox {id}", id, route.Port), ReadSigned: false);
    }

    /// <summary>A valid session cookie for this sandbox, port and token, among the first <see cref="MaxSessionValues"/>.</summary>
    public bool HasSession(string accessToken, SandboxRoute route, IHeaderDictionary headers)
    {
        var now = Now;
        string? tokenDigest = null;
        foreach (var value in SessionCookieHeader.Values(headers).Take(MaxSessionValues))
        {
            tokenDigest ??= BrowserSessionToken.TokenDigest(accessToken);
            if (BrowserSessionToken.TryVerify(keys, value, route.SandboxId, route.Port, tokenDigest, now, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>{expires_b36}-{signature}</c>, signed as a route to this sandbox and port would be, and unexpired.</summary>
    private bool IsGrant(string presented, SandboxRoute route, ulong now, out ulong expires)
    {
        expires = 0;
        var dash = presented.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return false;
        }

        var signature = new RouteSignature(presented[..dash], presented[(dash + 1)..]);
        return signature.IsWellFormed(out expires) && now <= expires
            && keys.TryGetSecret(signature.Signature[SignedRouteSyntax.DigestHexLength], out var secret)
            && RouteSigner.Verify(secret, route.SandboxId, route.Port, signature.Expires, signature.Signature.AsSpan(0, SignedRouteSyntax.DigestHexLength));
    }
}
