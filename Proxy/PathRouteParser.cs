namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// URI mode (SPEC §4.2): <c>/{id}/{port}/{rest}</c>, and the signed form
/// <c>/{id}/{port}/{expires_b36}/{signature}/{rest}</c>. The rest is kept byte for byte as it arrived.
/// </summary>
internal static class PathRouteParser
{
    /// <param name="target">The request target in origin form, as received (percent-encoding intact).</param>
    public static RouteParseResult Parse(string target)
    {
        var queryStart = target.IndexOf('?', StringComparison.Ordinal);
        var pathEnd = queryStart < 0 ? target.Length : queryStart;
        if (pathEnd == 0 || target[0] != '/')
        {
            return RouteParseResult.Fail("path must start with /<sandbox-id>/<port>");
        }

        var idEnd = NextSlash(target, 1, pathEnd);
        var id = target.AsSpan(1, idEnd - 1);
        if (id.IsEmpty || idEnd >= pathEnd)
        {
            return RouteParseResult.Fail("path must start with /<sandbox-id>/<port>");
        }

        var portEnd = NextSlash(target, idEnd + 1, pathEnd);
        if (!RoutePort.TryParse(target.AsSpan(idEnd + 1, portEnd - idEnd - 1), out var port))
        {
            return RouteParseResult.Fail("invalid port (expected 1-65535 without leading zero)");
        }

        var route = new SandboxRoute(id.ToString(), port, Remainder(target, portEnd), ForwardedPrefix: target[..portEnd]);
        return RouteParseResult.Ok(WithSignedReading(route, target, portEnd, pathEnd));
    }

    /// <summary>Adds the signed reading when the two segments after the port have the signed shapes.</summary>
    private static SandboxRoute WithSignedReading(SandboxRoute route, string target, int portEnd, int pathEnd)
    {
        if (portEnd >= pathEnd)
        {
            return route;
        }

        var expiresEnd = NextSlash(target, portEnd + 1, pathEnd);
        if (expiresEnd >= pathEnd)
        {
            return route;
        }

        var signatureEnd = NextSlash(target, expiresEnd + 1, pathEnd);
        var expires = target.AsSpan(portEnd + 1, expiresEnd - portEnd - 1);
        var signature = target.AsSpan(expiresEnd + 1, signatureEnd - expiresEnd - 1);
        if (!RouteSignature.HasLooseShape(expires, signature))
        {
            return route;
        }

        return route with
        {
            Signature = new RouteSignature(expires.ToString(), signature.ToString()),
            SignedPathAndQuery = Remainder(target, signatureEnd),
            SignedForwardedPrefix = target[..signatureEnd],
        };
    }

    private static int NextSlash(string target, int start, int pathEnd)
    {
        var slash = target.AsSpan(start, pathEnd - start).IndexOf('/');
        return slash < 0 ? pathEnd : start + slash;
    }

    /// <summary>What follows the stripped prefix; an empty path becomes "/", the query is kept.</summary>
    private static string Remainder(string target, int prefixEnd) =>
        prefixEnd < target.Length && target[prefixEnd] == '/' ? target[prefixEnd..] : "/" + target[prefixEnd..];
}
