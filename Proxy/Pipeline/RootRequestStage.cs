using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// URI mode (SPEC §4.2): a <c>GET</c> or <c>HEAD</c> of one path segment at the root (<c>/favicon.ico</c>,
/// <c>/robots.txt</c>: what browsers ask every site for) can never be a route. It gets an empty 204 that the browser may
/// keep for a day, which Chromium takes without a console error, instead of a 400 on every page. Registered first, in
/// URI mode only.
/// </summary>
internal sealed class RootRequestStage : IProxyStage
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || !IsRootLevel(RouteReader.OriginFormTarget(context)))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.Headers[HeaderNames.CacheControl] = "public, max-age=86400";
        return Task.CompletedTask;
    }

    /// <summary>One non-empty segment after the root: <c>/name</c>, with or without a query.</summary>
    private static bool IsRootLevel(string target)
    {
        var path = target.AsSpan(0, target.IndexOf('?') is var q and >= 0 ? q : target.Length);
        return path.Length > 1 && path[0] == '/' && path[1..].IndexOf('/') < 0;
    }
}
