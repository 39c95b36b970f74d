using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Metrics;

/// <summary>
/// Serves Prometheus text at <c>/metrics</c> on the metrics listener only, and 404 for anything else there; requests
/// on the proxy listeners never see it, so a sandbox's own <c>/metrics</c> stays reachable.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void Map(WebApplication app, int metricsPort) =>
        app.UseWhen(context => context.Connection.LocalPort == metricsPort, metrics =>
        {
            metrics.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == Path);
            metrics.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return context.Response.WriteAsync("not found: the metrics listener serves /metrics only\n");
            });
        });
}
