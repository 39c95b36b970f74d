using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Where a request goes, or why the ingress answers it itself (SPEC §4–§8), decided from memory: cache state, route,
/// sandbox lookup, readiness, secure access. A decision to forward also queues the sandbox's renew intent (SPEC §9;
/// queued, never waited for), unless the request says <c>OpenSandbox-Access-Renew: skip</c>.
/// </summary>
internal sealed class RequestRouter(RouteReader routeReader, SandboxDirectory directory, AccessGuard accessGuard, IRenewIntents renewIntents)
{
    public bool IsSynced => directory.IsSynced;

    /// <param name="pathAndQuery">The origin-form request target, as received.</param>
    public RouteDecision Decide(string pathAndQuery, IHeaderDictionary headers)
    {
        // 1. Nothing is known before the first sync.
        if (!directory.IsSynced)
        {
            return RouteDecision.Answer(new ErrorResponse(ErrorCode.CacheNotSynced, "cache not synced"));
        }

        // 2. The route, from the path or the headers.
        var (route, routeError) = routeReader.Read(pathAndQuery, headers);
        if (route is null)
        {
            return RouteDecision.Answer(new ErrorResponse(ErrorCode.RouteInvalid, routeError!));
        }

        // 3. The sandbox.
        var (id, port) = (route.SandboxId, route.Port);
        var lookup = directory.Lookup(id);
        if (lookup.Record is not { } sandbox)
        {
            return RouteDecision.Answer(lookup.IsAmbiguous
                ? new ErrorResponse(ErrorCode.SandboxAmbiguous, $"sandbox {id} exists in more than one namespace ({string.Join(", ", lookup.AmbiguousNamespaces!)})", id, port)
                : new ErrorResponse(ErrorCode.SandboxNotFound, $"sandbox {id} not found", id, port));
        }

        // 4. Secure access, before readiness: a request that would be refused learns nothing of the sandbox's state and
        //    never wakes it or waits for it. It also decides which reading of a URI-mode route is forwarded.
        var access = accessGuard.Check(sandbox.AccessToken, route, headers);
        if (access.Refusal is { } refusal)
        {
            return RouteDecision.Answer(new ErrorResponse(refusal, access.Reason!, id, port));
        }

        // 5. Readiness.
        if (sandbox.NotReadyReason is not null || sandbox.Address is null)
        {
            return RouteDecision.Answer(new ErrorResponse(ErrorCode.SandboxNotReady, $"{sandbox.NotReadyReason ?? "no endpoint"}: {id}", id, port));
        }

        // 6. The renew intent, then the destination.
        var (forwardedPathAndQuery, forwardedPrefix) = route.Forwarded(access.ReadSigned);
        if (!string.Equals(headers[IngressHeaders.AccessRenew], IngressHeaders.AccessRenewSkip, StringComparison.OrdinalIgnoreCase))
        {
            renewIntents.Observe(route.SandboxId, route.Port, forwardedPathAndQuery);
        }

        return new RouteDecision(null, route, sandbox.Address.At(route.Port), forwardedPathAndQuery, forwardedPrefix);
    }
}

/// <summary>Either a destination and what to send it, or the answer the ingress gives itself.</summary>
/// <param name="PathAndQuery">What the sandbox receives as the request target.</param>
/// <param name="ForwardedPrefix">URI mode: the path prefix stripped, for <c>X-Forwarded-Prefix</c>.</param>
internal readonly record struct RouteDecision(ErrorResponse? Refusal, SandboxRoute? Route, SandboxDestination? Destination, string? PathAndQuery,
    string? ForwardedPrefix)
{
    public static RouteDecision Answer(ErrorResponse refusal) => new(refusal, null, null, null, null);
}
