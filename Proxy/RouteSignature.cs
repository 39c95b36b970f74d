using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The <c>expires_b36</c> and <c>signature</c> segments of a route that has the shape of a signed one.
/// Captured loosely (ASCII letters and digits of roughly the right length) so that a route that is
/// clearly meant to be signed but is malformed is answered 400, not read as something else.
/// </summary>
internal sealed record RouteSignature(string Expires, string Signature)
{
    private const int MaxLooseExpiresLength = 20;

    /// <summary>The one answer to a route read as signed whose expiry or signature is malformed (SPEC §8: 400).</summary>
    public const string MalformedReason = "malformed signed route (expiry or signature)";

    /// <summary>True when both segments have the exact shapes of SPEC §8 and the expiry parses.</summary>
    public bool IsWellFormed(out ulong expiresUnixSeconds)
    {
        expiresUnixSeconds = 0;
        return SignedRouteSyntax.LooksLikeSignature(Signature)
            && SignedRouteSyntax.TryParseExpires(Expires, out expiresUnixSeconds);
    }

    public static bool HasLooseShape(ReadOnlySpan<char> expires, ReadOnlySpan<char> signature) =>
        expires.Length is > 0 and <= MaxLooseExpiresLength
        && signature.Length == SignedRouteSyntax.SignatureLength
        && IsAsciiAlphanumeric(expires)
        && IsAsciiAlphanumeric(signature);

    private static bool IsAsciiAlphanumeric(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
