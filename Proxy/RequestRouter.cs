using Microsoft.AspNetCore.Http;
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
            return RouteDecision.Answer(StatusCodes.Status503ServiceUnavailable, "cache not synced");
        }

        // 2. The route, from the path or the headers.
        var (route, routeError) = routeReader.Read(pathAndQuery, headers);
        if (route is null)
        {
            return RouteDecision.Answer(StatusCodes.Status400BadRequest, routeError!);
        }

        // 3. The sandbox, and whether it can take traffic.
        var lookup = directory.Lookup(route.SandboxId);
        if (lookup.Record is not { } sandbox)
        {
            return lookup.IsAmbiguous
                ? RouteDecision.Answer(StatusCodes.Status502BadGateway,
                    $"sandbox {route.SandboxId} exists in more than one namespace ({string.Join(", ", lookup.AmbiguousNamespaces!)})")
                : RouteDecision.Answer(StatusCodes.Status404NotFound, $"sandbox {route.SandboxId} not found");
        }

        if (sandbox.NotReadyReason is not null || sandbox.Address is null)
        {
            return RouteDecision.Answer(StatusCodes.Status503ServiceUnavailable, $"{sandbox.NotReadyReason ?? "no endpoint"}: {route.SandboxId}");
        }

        // 4. Secure access; it also decides which reading of a URI-mode route is forwarded.
        var access = accessGuard.Check(sandbox.AccessToken, route, headers);
        if (!access.IsAllowed)
        {
            return RouteDecision.Answer(access.StatusCode, access.Reason!);
        }

        // 5. The renew intent, then the destination.
        var (forwardedPathAndQuery, forwardedPrefix) = route.Forwarded(access.ReadSigned);
        if (!string.Equals(headers[IngressHeaders.AccessRenew], IngressHeaders.AccessRenewSkip, StringComparison.OrdinalIgnoreCase))
        {
            renewIntents.Observe(route.SandboxId, route.Port, forwardedPathAndQuery);
        }

        return new RouteDecision(StatusCodes.Status200OK, null, route, sandbox.Address.At(route.Port), forwardedPathAndQuery, forwardedPrefix);
    }
}

/// <summary>Either a destination and what to send it, or the status and one-line reason the ingress answers with.</summary>
/// <param name="PathAndQuery">What the sandbox receives as the request target.</param>
/// <param name="ForwardedPrefix">URI mode: the path prefix stripped, for <c>X-Forwarded-Prefix</c>.</param>
internal readonly record struct RouteDecision(int Status, string? Reason, SandboxRoute? Route, SandboxDestination? Destination, string? PathAndQuery,
    string? ForwardedPrefix)
{
    public bool IsForward => Destination is not null;

    public static RouteDecision Answer(int status, string reason) => new(status, reason, null, null, null, null);
}
