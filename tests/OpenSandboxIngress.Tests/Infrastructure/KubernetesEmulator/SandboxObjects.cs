using System.Text.Json.Nodes;

namespace OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

/// <summary>Custom resource bodies for the emulator, which names them: <see cref="TestSandbox.ToJsonObject"/>.</summary>
internal static class SandboxObjects
{
    public static JsonObject BatchSandbox(string endpoint = "127.0.0.1", int ready = 1, string? phase = null, string? token = null) =>
        TestSandbox.Batch(name: null, endpoint, ready, @namespace: null, token, phase).ToJsonObject();

    public static JsonObject AgentSandbox(string fqdn, bool ready) => TestSandbox.Agent(name: null, fqdn, ready, @namespace: null).ToJsonObject();
}
