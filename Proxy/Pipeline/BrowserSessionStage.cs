using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// Browser sessions (SPEC §8, <c>--browser-sessions</c>): a <c>GET</c> or <c>HEAD</c> let in by a credential in its URL
/// (the <c>opensandbox-access</c> parameter or a signed route) is answered <c>303</c> to the same URL without it, with
/// an HttpOnly session cookie, so the credential leaves the address bar, history and <c>Referer</c>. A signed host
/// route goes to its unsigned host, which cannot read a cookie of the signed one: the session travels in a hand-off code
/// that the unsigned host exchanges for its own cookie, spending the code then. Every other request loses the parameter and the session cookie
/// before the sandbox sees it. Runs after readiness, so a request re-checked during a hold is cleaned too.
/// </summary>
internal sealed class BrowserSessionStage(BrowserCredentials credentials, SpentHandoffs spent, BrowserSessionOptions options) : IProxyStage
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var feature = context.Features.GetRequiredFeature<SandboxRequestFeature>();
        var request = context.Request;
        if (feature.Sandbox.AccessToken is { } token
            && feature.Access.Credential is AccessCredential.Parameter or AccessCredential.SignedRoute or AccessCredential.Handoff
            && IsRedirectable(context))
        {
            // A hand-off code is spent only here, where it becomes a cookie: a 503 before, and the refresh after it, still find it unspent.
            var route = feature.Route;
            return feature.Access.Credential == AccessCredential.Handoff && !spent.TrySpend(AccessParameter.Find(route.PathAndQuery, out _)!)
                ? new ErrorResponse(ErrorCode.AccessDenied, $"this {BrowserCredentials.Parameter} link for sandbox {route.SandboxId} was used already",
                    route.SandboxId, route.Port).WriteAsync(context)
                : Redirect(context, feature, token);
        }

        feature.PathAndQuery = AccessParameter.Remove(feature.PathAndQuery);
        SessionCookieHeader.Remove(request.Headers);
        return next(context);
    }

    /// <summary>
    /// SPEC §8: a <c>GET</c> or <c>HEAD</c> is redirected. A WebSocket handshake is a <c>GET</c> that no client can follow
    /// to another URL, so it goes on with the credential removed (an HTTP/2 extended CONNECT is no <c>GET</c> anyway).
    /// </summary>
    private static bool IsRedirectable(HttpContext context)
    {
        var method = context.Request.Method;
        return (HttpMethods.IsGet(method) || HttpMethods.IsHead(method)) && context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest != true;
    }

    private Task Redirect(HttpContext context, SandboxRequestFeature feature, string token)
    {
        var route = feature.Route;
        var now = credentials.Now;
        var end = now + (ulong)options.MaxAge.TotalSeconds;
        var expires = feature.Access.Expires is > 0 and var grant && grant < end ? grant : end;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status303SeeOther;
        response.Headers[HeaderNames.CacheControl] = "no-store";

        // URI mode: the unsigned prefix and the rest, as the client wrote them.
        var rest = AccessParameter.Remove(route.Forwarded(feature.Access.ReadSigned).PathAndQuery);
        if (route.ForwardedPrefix is { } prefix)
        {
            response.Headers.Location = prefix + rest;
            AppendCookie(context, BrowserSessionToken.Issue(credentials.Keys, route.SandboxId, route.Port, token, expires), expires - now, prefix);
            return Task.CompletedTask;
        }

        // Header mode, a signed Host: to the unsigned host, carrying the session. Scheme-relative, so the browser keeps
        // the scheme it used: behind a load balancer that ends TLS the request arrives as http, the page is https.
        if (route.Signature is not null && UnsignedHost(context.Request, route) is { } unsignedHost)
        {
            var code = BrowserSessionToken.IssueHandoff(credentials.Keys, route.SandboxId, route.Port, token, expires, now + SpentHandoffs.Lifetime);
            var separator = rest.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            response.Headers.Location = $"//{unsignedHost}{SameHostPath(rest)}{separator}{BrowserCredentials.Parameter}={code}";
            return Task.CompletedTask;
        }

        response.Headers.Location = SameHostPath(rest);
        AppendCookie(context, BrowserSessionToken.Issue(credentials.Keys, route.SandboxId, route.Port, token, expires), expires - now, path: null);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A target whose path starts <c>//</c> or <c>/\</c> would be read as another host in <c>Location</c> (an open
    /// redirect: <c>//evil.example/?opensandbox-access=…</c>); <c>/.</c> in front keeps it a path of this host, and
    /// the browser removes the dot segment before it asks.
    /// </summary>
    private static string SameHostPath(string pathAndQuery) =>
        pathAndQuery.StartsWith("//", StringComparison.Ordinal) || pathAndQuery.StartsWith("/\\", StringComparison.Ordinal)
            ? "/." + pathAndQuery
            : pathAndQuery;

    /// <summary>Host-only in header mode (no Domain), under the sandbox's prefix in URI mode.</summary>
    private void AppendCookie(HttpContext context, string value, ulong seconds, string? path) =>
        context.Response.Cookies.Append(BrowserCredentials.Cookie, value, new CookieOptions
        {
            HttpOnly = true,
            Path = path ?? "/",
            MaxAge = TimeSpan.FromSeconds(seconds),
            SameSite = options.SameSite,
            Secure = options.AlwaysSecure || context.Request.IsHttps,
        });

    /// <summary><c>{id}-{port}-{expires}-{signature}.domain:port</c> → <c>{id}-{port}.domain:port</c>; null when the route came from elsewhere.</summary>
    private static string? UnsignedHost(HttpRequest request, SandboxRoute route)
    {
        var host = request.Host.Value ?? "";
        var signed = $"{route.SandboxId}-{route.Port}-{route.Signature!.Expires}-{route.Signature.Signature}";
        return host.StartsWith(signed, StringComparison.OrdinalIgnoreCase) && (host.Length == signed.Length || host[signed.Length] is '.' or ':')
            ? $"{route.SandboxId}-{route.Port}{host[signed.Length..]}"
            : null;
    }
}
