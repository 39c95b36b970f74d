using System.Text.Json.Nodes;

namespace OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

/// <summary>Custom resource bodies for the emulator.</summary>
internal static class SandboxObjects
{
    public static JsonObject BatchSandbox(string endpoint = "127.0.0.1", int ready = 1, string? phase = null, string? token = null)
    {
        var annotations = new JsonObject { ["sandbox.opensandbox.io/endpoints"] = $"[\"{endpoint}\"]" };
        if (token is not null)
        {
            annotations["opensandbox.io/secure-access-token"] = token;
        }

        var status = new JsonObject { ["ready"] = ready, ["replicas"] = 1 };
        if (phase is not null)
        {
            status["phase"] = phase;
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = annotations },
            ["spec"] = new JsonObject { ["replicas"] = 1 },
            ["status"] = status,
        };
    }

    public static JsonObject AgentSandbox(string fqdn, bool ready) => new()
    {
        ["metadata"] = new JsonObject(),
        ["status"] = new JsonObject
        {
            ["serviceFQDN"] = fqdn,
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Ready",
                ["status"] = ready ? "True" : "False",
                ["reason"] = ready ? "Ready" : "PodPending",
                ["message"] = ready ? "ok" : "pod not scheduled yet",
            }),
        },
    };

    /// <summary>A routable BatchSandbox made <paramref name="bytes"/> larger by a spec field the ingress does not read.</summary>
    public static JsonObject LargeBatchSandbox(int bytes, string endpoint = "127.0.0.1")
    {
        var resource = BatchSandbox(endpoint);
        resource["spec"]!["template"] = new string('x', bytes);
        return resource;
    }
}
