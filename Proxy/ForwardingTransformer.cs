using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using OpenSandbox.Ingress.Sandbox;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Header and URI rules of SPEC §7 for one request: the target path kept byte for byte, the routing and
/// secure-access headers removed, Host set to the target, X-Forwarded-* written, and the ingress mark on
/// the response. YARP's base transformer copies the headers and drops the hop-by-hop ones.
/// </summary>
internal sealed class ForwardingTransformer(SandboxDestination destination, string pathAndQuery, string? forwardedPrefix) : HttpTransformer
{
    private static readonly UriCreationOptions VerbatimPath = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
        CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);

        // The path as received: no decoding, no dot-segment removal.
        proxyRequest.RequestUri = new Uri(destination.Prefix + pathAndQuery, in VerbatimPath);

        // Fields the client's Connection names go before the ingress writes its own (a named X-Forwarded-For chain too).
        var headers = proxyRequest.Headers;
        var connection = httpContext.Request.Headers.Connection;
        if (connection.Count > 0)
        {
            foreach (var name in ConnectionOptions.NamedFields(connection))
            {
                headers.Remove(name);
            }
        }

        headers.Remove(IngressHeaders.IngressTo);
        headers.Remove(IngressHeaders.LegacyIngress);
        headers.Remove(IngressHeaders.SecureAccess);
        headers.Remove(IngressHeaders.AccessRenew);
        headers.Host = destination.Authority;

        AppendForwardedFor(httpContext, headers);
        var request = httpContext.Request;
        SetOrRemove(headers, IngressHeaders.ForwardedProto, request.Scheme);
        SetOrRemove(headers, IngressHeaders.ForwardedHost, request.Host.HasValue ? request.Host.Value : null);
        SetOrRemove(headers, IngressHeaders.ForwardedPrefix, forwardedPrefix);
    }

    /// <summary>Why the sandbox's response was not passed on (the handler answers 502); null when it was.</summary>
    public string? RefusedResponse { get; private set; }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse,
        CancellationToken cancellationToken)
    {
        // A response framed two ways is a sign of smuggling (RFC 9112 §6.3); the sandbox's answer is not trusted.
        if (proxyResponse?.Content is { } content && proxyResponse.Headers.NonValidated.Contains(HeaderNames.TransferEncoding)
            && content.Headers.NonValidated.Contains(HeaderNames.ContentLength))
        {
            RefusedResponse = "response has both Content-Length and Transfer-Encoding";
            return false;
        }

        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (proxyResponse is null)
        {
            return proceed;
        }

        var responseHeaders = httpContext.Response.Headers;
        if (proxyResponse.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection))
        {
            foreach (var name in ConnectionOptions.NamedFields(connection))
            {
                responseHeaders.Remove(name);
            }
        }

        responseHeaders[IngressHeaders.PoweredBy] = IngressHeaders.PoweredByValue;

        return proceed;
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
        var chain = headers.NonValidated.TryGetValues(IngressHeaders.ForwardedFor, out var existing)
            ? string.Join(", ", existing) + ", " + client
            : client;
        headers.Remove(IngressHeaders.ForwardedFor);
        headers.TryAddWithoutValidation(IngressHeaders.ForwardedFor, chain);
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
