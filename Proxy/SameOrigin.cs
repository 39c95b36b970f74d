using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Whether a request's <c>Origin</c> is its own public origin (SPEC §7): the scheme and the Host the client sent. Such a
/// request reaches the sandbox with the sandbox's own origin, since the sandbox sees its own address in Host.
/// </summary>
internal static class SameOrigin
{
    public static bool IsOwnOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin;
        var host = request.Host.Value;
        if (origin.Count != 1 || origin.ToString() is not { Length: > 0 } value || string.IsNullOrEmpty(host))
        {
            return false;
        }

        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return false;
        }

        // A page served over https by a load balancer that ends TLS in front of the ingress reaches it as http: the host
        // name is the ingress's either way, so that scheme counts as the request's own too.
        var scheme = value.AsSpan(0, schemeEnd);
        var https = scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
        var ownScheme = scheme.Equals(request.Scheme, StringComparison.OrdinalIgnoreCase) || (https && !request.IsHttps);
        return ownScheme && WithoutDefaultPort(value.AsSpan(schemeEnd + 3), https).Equals(WithoutDefaultPort(host, https), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Browsers leave the scheme's default port out of Origin; a client may still write it in Host.</summary>
    private static ReadOnlySpan<char> WithoutDefaultPort(ReadOnlySpan<char> authority, bool https)
    {
        var defaultPort = https ? ":443" : ":80";
        return authority.EndsWith(defaultPort, StringComparison.Ordinal) ? authority[..^defaultPort.Length] : authority;
    }
}
