using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// Hides the signature of a signed route in text bound for a log line (SPEC §7, §10): <c>/{id}/{port}/{expires_b36}/{signature}/…</c>
/// becomes <c>…/{expires_b36}/*********/…</c> and a host <c>{id}-{port}-{expires_b36}-{signature}.domain</c> becomes
/// <c>…-{expires_b36}-*********.domain</c>. A segment is masked when it has the shape the route parsers read as a signature
/// (<see cref="RouteSignature.HasLooseShape"/>), whatever the mode and whether or not the route turned out valid, so that a
/// malformed or rejected credential is hidden too; an ordinary path that happens to have that shape is masked as well, which
/// costs a log reader nothing that matters. Text without such a segment is returned as it is, without allocating.
/// </summary>
internal static class SignatureMask
{
    public const string Masked = "*********";

    /// <summary>A path (starts with '/') or a host, with an optional scheme and port.</summary>
    public static string Apply(string text) => text.StartsWith('/') ? InPath(text) : InHost(text);

    /// <summary>The URI-mode form: the fourth segment is masked when the third and fourth have the signed shapes.</summary>
    public static string InPath(string path)
    {
        if (!path.StartsWith('/'))
        {
            return path;
        }

        var idEnd = NextSlash(path, 1);
        var portEnd = NextSlash(path, idEnd + 1);
        var expiresEnd = NextSlash(path, portEnd + 1);
        if (idEnd == 1 || portEnd >= path.Length || portEnd == idEnd + 1 || expiresEnd >= path.Length)
        {
            return path;
        }

        var signatureEnd = NextSlash(path, expiresEnd + 1);
        var expires = path.AsSpan(portEnd + 1, expiresEnd - portEnd - 1);
        var signature = path.AsSpan(expiresEnd + 1, signatureEnd - expiresEnd - 1);
        return RouteSignature.HasLooseShape(expires, signature) ? Replace(path, expiresEnd + 1) : path;
    }

    /// <summary>The header-mode form: the last dash-separated part of the first DNS label.</summary>
    public static string InHost(string host)
    {
        var labelStart = host.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "http://".Length
            : host.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "https://".Length
            : 0;
        var labelEnd = host.AsSpan(labelStart).IndexOfAny('.', ':', '/');
        var label = labelEnd < 0 ? host.AsSpan(labelStart) : host.AsSpan(labelStart, labelEnd);

        var signatureDash = label.LastIndexOf('-');
        var expiresDash = signatureDash > 0 ? label[..signatureDash].LastIndexOf('-') : -1;
        var portDash = expiresDash > 0 ? label[..expiresDash].LastIndexOf('-') : -1;
        if (portDash <= 0 || portDash + 1 == expiresDash)
        {
            return host;
        }

        var expires = label[(expiresDash + 1)..signatureDash];
        var signature = label[(signatureDash + 1)..];
        return RouteSignature.HasLooseShape(expires, signature) ? Replace(host, labelStart + signatureDash + 1) : host;
    }

    private static int NextSlash(string path, int start)
    {
        if (start >= path.Length)
        {
            return path.Length;
        }

        var slash = path.AsSpan(start).IndexOf('/');
        return slash < 0 ? path.Length : start + slash;
    }

    /// <summary>The signature is always <see cref="Masked"/>'s length (the loose shape fixes it), so only its characters change.</summary>
    private static string Replace(string text, int signatureStart) =>
        string.Create(text.Length, (text, signatureStart), static (span, state) =>
        {
            state.text.AsSpan().CopyTo(span);
            Masked.AsSpan().CopyTo(span[state.signatureStart..]);
        });
}
