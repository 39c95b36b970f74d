using System.Text.Json;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>BatchSandbox (<c>sandbox.opensandbox.io/v1alpha1</c>) → routing record (SPEC §6.1).</summary>
internal static class BatchSandboxProjection
{
    public const string Kind = "BatchSandbox";

    public static SandboxRecord Project(string @namespace, string name, SandboxResource resource) =>
        new(@namespace, name, SandboxKind.BatchSandbox, ParseFirstEndpoint(resource, out var endpointProblem), SandboxAnnotations.AccessToken(resource),
            Readiness(resource, endpointProblem))
        {
            KeepUriPrefix = SandboxAnnotations.KeepUriPrefix(resource),
        };

    private static SandboxReadiness Readiness(SandboxResource resource, string? endpointProblem)
    {
        var status = resource.Status;
        ReadinessState? pause = status?.Phase switch
        {
            "Pausing" => ReadinessState.Pausing,
            "Paused" => ReadinessState.Paused,
            "Resuming" => ReadinessState.Resuming,
            _ => null,
        };
        if (pause is { } state)
        {
            return new SandboxReadiness(state, $"sandbox is {status!.Phase}");
        }

        var ready = status?.Ready ?? 0;
        if (ready < 1)
        {
            var wanted = resource.Spec?.Replicas ?? status?.Replicas ?? 1;
            return SandboxReadiness.NotReady($"sandbox not ready (ready: {ready}/{wanted})");
        }

        return endpointProblem is null ? SandboxReadiness.Ready : SandboxReadiness.NoEndpoint(endpointProblem);
    }

    private static string? ParseFirstEndpoint(SandboxResource resource, out string? problem)
    {
        var json = SandboxAnnotations.EndpointsJson(resource);
        if (string.IsNullOrWhiteSpace(json))
        {
            problem = "sandbox has no endpoints annotation";
            return null;
        }

        string[]? endpoints;
        try
        {
            endpoints = JsonSerializer.Deserialize(json, SandboxJsonContext.Default.StringArray);
        }
        catch (JsonException)
        {
            problem = "sandbox endpoints annotation is not a JSON array of strings";
            return null;
        }

        if (endpoints is not { Length: > 0 })
        {
            problem = "sandbox has no endpoints";
            return null;
        }

        var endpoint = endpoints[0]?.Trim();
        if (!EndpointSyntax.IsValidHost(endpoint))
        {
            problem = "sandbox endpoint is not a valid host";
            return null;
        }

        problem = null;
        return endpoint;
    }
}
