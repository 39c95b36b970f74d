using System.Text.Json.Nodes;

namespace OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

/// <summary>Custom resource bodies for the emulator, which names them: <see cref="TestSandbox.ToJsonObject"/>.</summary>
internal static class SandboxObjects
{
    public static JsonObject BatchSandbox(string endpoint = "127.0.0.1", int ready = 1, string? phase = null, string? token = null) =>
        TestSandbox.Batch(name: null, endpoint, ready, @namespace: null, token, phase).ToJsonObject();

    public static JsonObject AgentSandbox(string fqdn, bool ready) => TestSandbox.Agent(name: null, fqdn, ready, @namespace: null).ToJsonObject();

    /// <summary>A routable BatchSandbox made <paramref name="bytes"/> larger by a spec field the ingress does not read.</summary>
    public static JsonObject LargeBatchSandbox(int bytes, string endpoint = "127.0.0.1")
    {
        var resource = BatchSandbox(endpoint);
        resource["spec"]!["template"] = new string('x', bytes);
        return resource;
    }
}
