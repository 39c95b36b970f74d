using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Tracing;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Header and URI rules of SPEC §7, one instance for every request, reading each request's
/// <see cref="SandboxRequestFeature"/>: the target path kept byte for byte, the routing and secure-access headers
/// removed, Host set to the target, X-Forwarded-* written, and the ingress mark on the response. YARP's base transformer
/// copies the headers and drops the fixed hop-by-hop set.
/// </summary>
/// <remarks>
/// YARP's own X-Forwarded transforms are not used: SPEC §7 writes an IPv4-mapped client as plain IPv4, joins several
/// incoming X-Forwarded-For lines into one, and sends X-Forwarded-Prefix as the client wrote the stripped prefix.
/// </remarks>
internal sealed class ForwardingTransformer(RoutingOptions routing) : HttpTransformer
{
    /// <summary>Not a standard field, but what browsers follow: <c>Refresh: 5; url=/next</c>.</summary>
    private const string RefreshHeader = "Refresh";

    private static readonly UriCreationOptions VerbatimPath = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
        CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var sandboxRequest = httpContext.Features.GetRequiredFeature<SandboxRequestFeature>();

        // 1. The path as received: no decoding, no dot-segment removal.
        var destination = sandboxRequest.Destination;
        proxyRequest.RequestUri = new Uri(destination.Prefix + sandboxRequest.PathAndQuery, in VerbatimPath);

        // 2. Fields the client's Connection names go before the ingress writes its own (a named X-Forwarded-For chain too).
        var incoming = httpContext.Request.Headers;
        var headers = proxyRequest.Headers;
        ConnectionOptions.RemoveNamedFields(incoming.Connection, headers, static (target, name) => target.Remove(name));

        // 3. The ingress's own request headers stop here. Only what the client sent is removed: each removal parses the
        //    header name again, and most requests carry one routing header at most.
        RemoveIfSent(incoming, headers, IngressHeaders.IngressTo);
        RemoveIfSent(incoming, headers, IngressHeaders.LegacyIngress);
        RemoveIfSent(incoming, headers, IngressHeaders.SecureAccess);
        RemoveIfSent(incoming, headers, IngressHeaders.AccessRenew);

        // 4. Host (the target's, replacing the copied one, unless --preserve-host) and X-Forwarded-*; a same-origin
        //    Origin follows the Host, so apps that compare the two (Jupyter, Django, Rails) still see a same-origin call.
        var request = httpContext.Request;
        if (!routing.PreserveHost)
        {
            headers.Host = destination.Authority;
        }

        if (routing.RewritesOrigin && SameOrigin.IsOwnOrigin(request))
        {
            headers.Remove(HeaderNames.Origin);
            headers.TryAddWithoutValidation(HeaderNames.Origin, destination.Prefix);
        }

        AppendForwardedFor(httpContext, headers);
        Replace(incoming, headers, IngressHeaders.ForwardedProto, request.Scheme);
        Replace(incoming, headers, IngressHeaders.ForwardedHost, request.Host.HasValue ? request.Host.Value : null);
        Replace(incoming, headers, IngressHeaders.ForwardedPrefix, sandboxRequest.ForwardedPrefix);

        // 5. With traces on, the sandbox continues the trace under the ingress's upstream span.
        IngressTracing.Propagate(headers);

        // 6. A held request sent ahead of readiness carries its probe to the connect-retry handler.
        if (sandboxRequest.Probe is { } probe)
        {
            proxyRequest.Options.Set(PortProbe.Key, probe);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse,
        CancellationToken cancellationToken)
    {
        // A response framed two ways is a sign of smuggling (RFC 9112 §6.3): the sandbox's answer is not trusted. YARP
        // turns an exception here into its ResponseHeaders error with a clean 502, which the forwarding stage answers.
        if (proxyResponse?.Content is { } content && proxyResponse.Headers.NonValidated.Contains(HeaderNames.TransferEncoding)
            && content.Headers.NonValidated.Contains(HeaderNames.ContentLength))
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, "response has both Content-Length and Transfer-Encoding");
        }

        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is null)
        {
            return proceed;
        }

        var responseHeaders = httpContext.Response.Headers;
        if (proxyResponse.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection))
        {
            foreach (var value in connection)
            {
                ConnectionOptions.RemoveNamedFields(value, responseHeaders, static (target, name) => target.Remove(name));
            }
        }

        if (routing.RewritesUnderPrefix && httpContext.Features.GetRequiredFeature<SandboxRequestFeature>() is var request
            && (request.ForwardedPrefix is not null || request.KeptPrefix))
        {
            // A sandbox that receives its prefix builds its URLs with it: its own address is still moved to the client's
            // origin, but nothing is put under the prefix a second time.
            KeepUnderPrefix(httpContext.Request, responseHeaders, request.ForwardedPrefix ?? "", request.Destination.Authority, cookies: !request.KeptPrefix);
        }

        responseHeaders[IngressHeaders.PoweredBy] = IngressHeaders.PoweredByValue;

        return proceed;
    }

    /// <param name="prefix">Empty when the sandbox received the prefix: then only absolute URLs are moved.</param>
    private static void KeepUnderPrefix(HttpRequest request, IHeaderDictionary responseHeaders, string prefix, string sandboxAuthority, bool cookies)
    {
        // Most responses carry none of these: the client's origin is built only for one that does.
        if (!responseHeaders.ContainsKey(HeaderNames.Location) && !responseHeaders.ContainsKey(HeaderNames.ContentLocation)
            && !responseHeaders.ContainsKey(RefreshHeader) && !responseHeaders.ContainsKey(HeaderNames.SetCookie))
        {
            return;
        }

        var clientHost = request.Host.Value ?? "";
        var clientOrigin = request.Scheme + "://" + clientHost;
        foreach (var name in (ReadOnlySpan<string>)[HeaderNames.Location, HeaderNames.ContentLocation])
        {
            if (responseHeaders[name] is { Count: 1 } location)
            {
                responseHeaders[name] = UriRewrite.Location(location.ToString(), prefix, sandboxAuthority, clientHost, clientOrigin);
            }
        }

        if (responseHeaders[RefreshHeader] is { Count: 1 } refresh)
        {
            responseHeaders[RefreshHeader] = UriRewrite.Refresh(refresh.ToString(), prefix, sandboxAuthority, clientHost, clientOrigin);
        }

        var setCookies = responseHeaders.SetCookie;
        if (cookies && setCookies.Count > 0)
        {
            var defaultPathLeaves = UriRewrite.DefaultCookiePathLeavesPrefix(RouteReader.OriginFormTarget(request.HttpContext), prefix);
            var placed = new string[setCookies.Count];
            for (var i = 0; i < placed.Length; i++)
            {
                placed[i] = UriRewrite.CookiePath(setCookies[i]!, prefix, defaultPathLeaves);
            }

            responseHeaders.SetCookie = placed;
        }
    }

    /// <summary>
    /// Appends the client address to the chain the client sent (SPEC §7): several <c>X-Forwarded-For</c> lines become
    /// one list, joined with <c>", "</c> as a single line's entries are.
    /// </summary>
    private static void AppendForwardedFor(HttpContext httpContext, HttpRequestHeaders headers)
    {
        if (ClientAddress.Normalize(httpContext.Connection.RemoteIpAddress) is not { } remote)
        {
            return;
        }

        var client = remote.ToString();
        if (!httpContext.Request.Headers.ContainsKey(IngressHeaders.ForwardedFor))
        {
            headers.TryAddWithoutValidation(IngressHeaders.ForwardedFor, client);
            return;
        }

        var chain = headers.NonValidated.TryGetValues(IngressHeaders.ForwardedFor, out var existing)
            ? string.Join(", ", existing) + ", " + client
            : client;
        headers.Remove(IngressHeaders.ForwardedFor);
        headers.TryAddWithoutValidation(IngressHeaders.ForwardedFor, chain);
    }

    private static void RemoveIfSent(IHeaderDictionary incoming, HttpRequestHeaders headers, string name)
    {
        if (incoming.ContainsKey(name))
        {
            headers.Remove(name);
        }
    }

    /// <summary>The ingress's value, never the client's: a client cannot forge these.</summary>
    private static void Replace(IHeaderDictionary incoming, HttpRequestHeaders headers, string name, string? value)
    {
        RemoveIfSent(incoming, headers, name);
        if (value is not null)
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }
}
