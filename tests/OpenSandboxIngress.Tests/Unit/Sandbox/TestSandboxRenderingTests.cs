using OpenSandbox.Ingress.Sandbox.Files;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Sandbox;

/// <summary>The YAML and the JSON of a <see cref="TestSandbox"/> are the same resource to the ingress.</summary>
public sealed class TestSandboxRenderingTests
{
    public static TheoryData<string> Sandboxes() => new(
        nameof(TestSandbox.Batch),
        "batch not ready",
        "batch paused with token",
        "batch without endpoint",
        nameof(TestSandbox.Agent),
        "agent not ready");

    private static TestSandbox Sandbox(string name) => name switch
    {
        nameof(TestSandbox.Batch) => TestSandbox.Batch("b", @namespace: "team-a"),
        "batch not ready" => TestSandbox.Batch("b", endpoint: "localhost", ready: 0),
        "batch paused with token" => TestSandbox.Batch("b", ready: 0, phase: "Paused", token: "t0ken \"quoted\""),
        "batch without endpoint" => TestSandbox.Batch("b") with { Endpoint = null },
        nameof(TestSandbox.Agent) => TestSandbox.Agent("a", "a.team.svc"),
        _ => TestSandbox.Agent("a", "a.team.svc", ready: false),
    };

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public void Yaml_and_json_give_the_same_record(string name)
    {
        var sandbox = Sandbox(name);

        var (fromYaml, yamlSkipped) = ManifestFile.Read(new StringReader(sandbox.ToYaml()));
        var (fromJson, jsonSkipped) = ManifestFile.Read(new StringReader(sandbox.ToJson()));

        Assert.Empty(yamlSkipped);
        Assert.Empty(jsonSkipped);
        Assert.Equal(Assert.Single(fromJson), Assert.Single(fromYaml));
    }
}
