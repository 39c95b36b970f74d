using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// The first stage (SPEC §4, §5, §8): from memory only, the route, the sandbox and the access check, once per request.
/// A request that passes gets its <see cref="SandboxRequestFeature"/>, whatever the sandbox's readiness: the stages after
/// this one decide what a sandbox that is not ready means.
/// </summary>
internal sealed class ResolutionStage(RouteReader routes, SandboxDirectory directory, AccessGuard access) : IProxyStage
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!TryResolve(context, out var feature, out var refusal))
        {
            return refusal.WriteAsync(context);
        }

        context.Features.Set(feature);
        return next(context);
    }

    /// <summary>Also used by the hold stage when a sandbox's token changed while a request waited.</summary>
    public bool TryResolve(HttpContext context, [NotNullWhen(true)] out SandboxRequestFeature? feature, [NotNullWhen(false)] out ErrorResponse? refusal)
    {
        feature = null;

        // 1. The ingress is no forward proxy; HTTP/2 extended CONNECT (WebSocket) is the one CONNECT it takes.
        var request = context.Request;
        if (HttpMethods.IsConnect(request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
        {
            refusal = new ErrorResponse(ErrorCode.MethodNotAllowed, "CONNECT is not supported");
            return false;
        }

        // 2. Nothing is known before the first sync.
        if (!directory.IsSynced)
        {
            refusal = Refusals.CacheNotSynced;
            return false;
        }

        // 3. The route, from the path or the headers.
        var headers = request.Headers;
        var (route, routeError) = routes.Read(RouteReader.OriginFormTarget(context), headers);
        if (route is null)
        {
            refusal = new ErrorResponse(ErrorCode.RouteInvalid, routeError!);
            return false;
        }

        // 4. The sandbox.
        if (!TryFind(directory, route, out var sandbox, out refusal))
        {
            return false;
        }

        // 5. Secure access, before readiness: a request that would be refused learns nothing of the sandbox's state and
        //    never wakes it or waits for it. It also decides which reading of a URI-mode route is forwarded.
        var decision = access.Check(sandbox.AccessToken, route, request);
        if (decision.Refusal is not null)
        {
            refusal = decision.Refusal;
            return false;
        }

        var (pathAndQuery, forwardedPrefix, keptPrefix) = routes.Forwarded(route, decision.ReadSigned, sandbox);
        feature = new SandboxRequestFeature(route, sandbox, pathAndQuery, forwardedPrefix) { KeptPrefix = keptPrefix, Access = decision };
        return true;
    }

    /// <summary>The sandbox a route names, or the answer when there is none or more than one.</summary>
    public static bool TryFind(SandboxDirectory directory, SandboxRoute route, [NotNullWhen(true)] out SandboxRecord? sandbox,
        [NotNullWhen(false)] out ErrorResponse? refusal)
    {
        var (id, port) = (route.SandboxId, route.Port);
        var lookup = directory.Lookup(id);
        sandbox = lookup.Record;
        refusal = sandbox is not null ? null
            : lookup.IsAmbiguous
            ? new ErrorResponse(ErrorCode.SandboxAmbiguous, $"sandbox {id} exists in more than one namespace ({string.Join(", ", lookup.AmbiguousNamespaces!)})", id, port)
            : new ErrorResponse(ErrorCode.SandboxNotFound, $"sandbox {id} not found", id, port);
        return sandbox is not null;
    }
}
