namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>YAML manifests of the two sandbox kinds, for the file provider: <see cref="TestSandbox.ToYaml"/>.</summary>
internal static class Manifests
{
    public static string BatchSandbox(string name, string endpoint = "127.0.0.1", int ready = 1, string @namespace = "default",
        string? token = null, string? phase = null) =>
        TestSandbox.Batch(name, endpoint, ready, @namespace, token, phase).ToYaml();

    public static string AgentSandbox(string name, string fqdn, bool ready = true, string @namespace = "default") =>
        TestSandbox.Agent(name, fqdn, ready, @namespace).ToYaml();
}
