using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Header and URI rules of SPEC §7 for one request: the target path kept byte for byte, the routing and
/// secure-access headers removed, Host set to the target, X-Forwarded-* written, and the ingress mark on
/// the response. YARP's base transformer already drops hop-by-hop headers.
/// </summary>
internal sealed class ForwardingTransformer(string pathAndQuery, string? forwardedPrefix) : HttpTransformer
{
    private static readonly UriCreationOptions VerbatimPath = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
        CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);

        // "http://endpoint:port" + the path as received: no decoding, no dot-segment removal.
        proxyRequest.RequestUri = new Uri(destinationPrefix + pathAndQuery, in VerbatimPath);

        var headers = proxyRequest.Headers;
        headers.Remove(IngressHeaders.IngressTo);
        headers.Remove(IngressHeaders.LegacyIngress);
        headers.Remove(IngressHeaders.SecureAccess);
        headers.Remove(IngressHeaders.AccessRenew);
        headers.Host = destinationPrefix["http://".Length..];

        AppendForwardedFor(httpContext, headers);
        var request = httpContext.Request;
        SetOrRemove(headers, IngressHeaders.ForwardedProto, request.Scheme);
        SetOrRemove(headers, IngressHeaders.ForwardedHost, request.Host.HasValue ? request.Host.Value : null);
        SetOrRemove(headers, IngressHeaders.ForwardedPrefix, forwardedPrefix);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse,
        CancellationToken cancellationToken)
    {
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (proxyResponse is not null)
        {
            httpContext.Response.Headers[IngressHeaders.PoweredBy] = IngressHeaders.PoweredByValue;
        }

        return proceed;
    }

    /// <summary>Appends the client address to whatever chain the client sent (SPEC §7); IPv4-mapped addresses as plain IPv4.</summary>
    private static void AppendForwardedFor(HttpContext httpContext, HttpRequestHeaders headers)
    {
        var remote = httpContext.Connection.RemoteIpAddress;
        if (remote is null)
        {
            return;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        var client = remote.ToString();
        var existing = httpContext.Request.Headers[IngressHeaders.ForwardedFor];
        headers.Remove(IngressHeaders.ForwardedFor);
        headers.TryAddWithoutValidation(IngressHeaders.ForwardedFor,
            existing.Count == 0 ? client : string.Join(", ", existing.ToString(), client));
    }

    private static void SetOrRemove(HttpRequestHeaders headers, string name, string? value)
    {
        headers.Remove(name);
        if (value is not null)
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }
}
