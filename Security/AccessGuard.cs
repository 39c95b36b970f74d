using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Security;

/// <summary>
/// Secure access (SPEC §8), in this order: a sandbox without a token is open; a present
/// <c>OpenSandbox-Secure-Access</c> header decides alone (no fallback to the route); otherwise a
/// well-formed, unexpired signed route made with a configured key is required. With browser sessions on, a query
/// parameter decides alone too, and a valid session cookie lets in a request that has no other valid credential.
/// </summary>
/// <param name="browser">Registered only with <c>--browser-sessions</c>.</param>
internal sealed class AccessGuard(SecureAccessKeys keys, TimeProvider time, BrowserCredentials? browser = null)
{
    public AccessDecision Check(string? accessToken, SandboxRoute route, HttpRequest request)
    {
        var headers = request.Headers;
        if (accessToken is null)
        {
            return AccessDecision.Allow(readSigned: false);
        }

        var presented = headers[IngressHeaders.SecureAccess];
        if (presented.Count > 0)
        {
            // URI mode strips a signed-shaped prefix even when the header, not the signature, authorised the request.
            var stripSignedPrefix = route.Signature is { } signature && signature.IsWellFormed(out _);
            return CheckHeader(accessToken, presented, route, stripSignedPrefix);
        }

        if (browser is null)
        {
            return CheckSignedRoute(route);
        }

        var wellFormedSignature = route.Signature is { } shaped && shaped.IsWellFormed(out _);
        if (browser.CheckParameter(accessToken, route, wellFormedSignature) is { } byParameter)
        {
            return byParameter;
        }

        // A signed route that no longer holds (expired, say) still reaches the sandbox with a session made from it. The
        // cookie counts only for the sandbox's own pages (or requests no page made): in header mode sandboxes are
        // sibling hosts of one site, so the browser attaches B's cookie to a WebSocket or POST that A's page sends to B.
        var signed = CheckSignedRoute(route);
        return signed.Refusal?.Code == ErrorCode.AccessDenied
            && (headers.Origin.Count == 0 || SameOrigin.IsOwnOrigin(request)) && browser.HasSession(accessToken, route, headers)
            ? AccessDecision.Allow(wellFormedSignature, AccessCredential.Session)
            : signed;
    }

    private static AccessDecision CheckHeader(string accessToken, StringValues presented, SandboxRoute route, bool stripSignedPrefix)
    {
        if (presented.Count != 1)
        {
            return Deny(ErrorCode.AccessDenied, $"more than one {IngressHeaders.SecureAccess} header for sandbox {route.SandboxId}", route);
        }

        return FixedTimeEquals(accessToken, presented.ToString())
            ? AccessDecision.Allow(stripSignedPrefix, AccessCredential.Header)
            : Deny(ErrorCode.AccessDenied, $"invalid secure access token for sandbox {route.SandboxId}", route);
    }

    private static AccessDecision Deny(ErrorCode code, string reason, SandboxRoute route) =>
        new(new ErrorResponse(code, reason, route.SandboxId, route.Port), ReadSigned: false);

    private AccessDecision CheckSignedRoute(SandboxRoute route)
    {
        var id = route.SandboxId;
        if (route.Signature is not { } signature)
        {
            return Deny(ErrorCode.AccessDenied, $"sandbox {id} requires secure access", route);
        }

        if (!signature.IsWellFormed(out var expires))
        {
            return Deny(ErrorCode.RouteInvalid, RouteSignature.MalformedReason, route);
        }

        if (keys.IsEmpty)
        {
            return Deny(ErrorCode.VerifierNotConfigured, $"signed route for sandbox {id} but no signing keys are configured", route);
        }

        var keyId = signature.Signature[SignedRouteSyntax.DigestHexLength];
        if (!keys.TryGetSecret(keyId, out var secret))
        {
            return Deny(ErrorCode.AccessDenied, $"unknown signing key for sandbox {id}", route);
        }

        if ((ulong)time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            return Deny(ErrorCode.AccessDenied, $"signed route for sandbox {id} has expired", route);
        }

        return RouteSigner.Verify(secret, id, route.Port, signature.Expires, signature.Signature.AsSpan(0, SignedRouteSyntax.DigestHexLength))
            ? AccessDecision.Allow(readSigned: true, AccessCredential.SignedRoute, expires)
            : Deny(ErrorCode.AccessDenied, $"invalid route signature for sandbox {id}", route);
    }

    /// <summary>
    /// Compares SHA-256 digests in fixed time, so neither the position of the first wrong byte nor the
    /// length of the token shows in the timing.
    /// </summary>
    public static bool FixedTimeEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
