using System.Text.Json.Nodes;

namespace OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

/// <summary>Custom resource bodies for the emulator.</summary>
internal static class SandboxObjects
{
    public static JsonObject BatchSandbox(string endpoint = "127.0.0.1", int ready = 1) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["annotations"] = new JsonObject { ["sandbox.opensandbox.io/endpoints"] = $"[\"{endpoint}\"]" },
        },
        ["spec"] = new JsonObject { ["replicas"] = 1 },
        ["status"] = new JsonObject { ["ready"] = ready, ["replicas"] = 1 },
    };

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
}
