using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Sandbox;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>Reads the route of a request in the configured mode (SPEC §4).</summary>
internal sealed class RouteReader(RoutingOptions options)
{
    /// <param name="pathAndQuery">The origin-form request target, as received.</param>
    public RouteParseResult Read(string pathAndQuery, IHeaderDictionary headers) =>
        options.Mode == RoutingMode.Uri ? PathRouteParser.Parse(pathAndQuery) : ReadFromHeaders(headers, pathAndQuery);

    /// <summary>
    /// What the sandbox receives in the reading the access check chose: in URI mode the prefix is stripped, or kept when
    /// the sandbox's annotation or <c>--uri-prefix keep</c> says so (the signed segments always go).
    /// </summary>
    public (string PathAndQuery, string? ForwardedPrefix, bool KeptPrefix) Forwarded(SandboxRoute route, bool readSigned, SandboxRecord sandbox)
    {
        var (pathAndQuery, forwardedPrefix) = route.Forwarded(readSigned);
        return forwardedPrefix is not null && (sandbox.KeepUriPrefix ?? options.KeepUriPrefix)
            ? (route.ForwardedPrefix + pathAndQuery, null, true)
            : (pathAndQuery, forwardedPrefix, false);
    }

    private static RouteParseResult ReadFromHeaders(IHeaderDictionary headers, string pathAndQuery)
    {
        foreach (var name in (ReadOnlySpan<string>)[IngressHeaders.IngressTo, IngressHeaders.LegacyIngress])
        {
            var values = headers[name];
            if (values.Count > 1)
            {
                return RouteParseResult.Fail($"more than one {name} header");
            }

            if (!string.IsNullOrWhiteSpace(values.ToString()))
            {
                return HostLabelParser.Parse(values.ToString(), fromHostHeader: false, pathAndQuery);
            }
        }

        var host = headers.Host;
        if (host.Count > 1)
        {
            return RouteParseResult.Fail("more than one Host header");
        }

        return string.IsNullOrWhiteSpace(host.ToString())
            ? RouteParseResult.Fail("no routing header and no Host")
            : HostLabelParser.Parse(host.ToString(), fromHostHeader: true, pathAndQuery);
    }

    /// <summary>
    /// The path and query exactly as the client sent them (Kestrel's decoded <c>Path</c> would lose
    /// <c>%2F</c> and normalise <c>..</c>). An absolute-form target keeps only its path and query.
    /// </summary>
    public static string OriginFormTarget(HttpContext context)
    {
        var raw = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        if (raw.StartsWith('/'))
        {
            return raw;
        }

        var schemeEnd = raw.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            var pathStart = raw.IndexOfAny(['/', '?'], schemeEnd + 3);
            return pathStart < 0 ? "/" : raw[pathStart] == '?' ? "/" + raw[pathStart..] : raw[pathStart..];
        }

        // Asterisk or authority form: there is no path to keep.
        return "/";
    }
}
