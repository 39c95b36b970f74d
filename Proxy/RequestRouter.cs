using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Where a request goes, or why the ingress answers it itself (SPEC §4–§8), decided from memory: cache state, route,
/// sandbox lookup, readiness, secure access. The full handler and the fast path both ask here, so they agree. A
/// decision to forward also queues the sandbox's renew intent (SPEC §9; queued, never waited for), unless the request
/// says <c>OpenSandbox-Access-Renew: skip</c>.
/// </summary>
internal sealed class RequestRouter(RouteReader routeReader, SandboxDirectory directory, AccessGuard accessGuard, IRenewIntents renewIntents)
{
    public bool IsSynced => directory.IsSynced;

    /// <param name="pathAndQuery">The origin-form request target, as received.</param>
    /// <param name="header">Every value of one request header, by name.</param>
    public RouteDecision Decide(string pathAndQuery, Func<string, StringValues> header)
    {
        if (!directory.IsSynced)
        {
            return RouteDecision.Answer(StatusCodes.Status503ServiceUnavailable, "cache not synced");
        }

        var (route, routeError) = routeReader.Read(pathAndQuery, header);
        if (route is null)
        {
            return RouteDecision.Answer(StatusCodes.Status400BadRequest, routeError!);
        }

        var lookup = directory.Lookup(route.SandboxId);
        if (lookup.Record is not { } sandbox)
        {
            return lookup.IsAmbiguous
                ? RouteDecision.Answer(StatusCodes.Status502BadGateway,
                    $"sandbox {route.SandboxId} exists in more than one namespace ({string.Join(", ", lookup.AmbiguousNamespaces!)})")
                : RouteDecision.Answer(StatusCodes.Status404NotFound, $"sandbox {route.SandboxId} not found");
        }

        if (sandbox.NotReadyReason is not null || sandbox.DestinationBase is null)
        {
            return RouteDecision.Answer(StatusCodes.Status503ServiceUnavailable, $"{sandbox.NotReadyReason ?? "no endpoint"}: {route.SandboxId}");
        }

        var access = accessGuard.Check(sandbox.AccessToken, route, header);
        if (!access.IsAllowed)
        {
            return RouteDecision.Answer(access.StatusCode, access.Reason!);
        }

        var (forwardedPathAndQuery, forwardedPrefix) = route.Forwarded(access.ReadSigned);
        if (!string.Equals(header(IngressHeaders.AccessRenew), IngressHeaders.AccessRenewSkip, StringComparison.OrdinalIgnoreCase))
        {
            renewIntents.Observe(route.SandboxId, route.Port, forwardedPathAndQuery);
        }

        var destination = sandbox.DestinationBase + ":" + route.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new RouteDecision(StatusCodes.Status200OK, null, route, destination, forwardedPathAndQuery, forwardedPrefix);
    }
}

/// <summary>Either a destination and what to send it, or the status and one-line reason the ingress answers with.</summary>
/// <param name="Destination"><c>http://endpoint:port</c>.</param>
/// <param name="PathAndQuery">What the sandbox receives as the request target.</param>
/// <param name="ForwardedPrefix">URI mode: the path prefix stripped, for <c>X-Forwarded-Prefix</c>.</param>
internal readonly record struct RouteDecision(int Status, string? Reason, SandboxRoute? Route, string? Destination, string? PathAndQuery,
    string? ForwardedPrefix)
{
    public bool IsForward => Destination is not null;

    public static RouteDecision Answer(int status, string reason) => new(status, reason, null, null, null, null);
}
