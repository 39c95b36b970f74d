using System.Text.Json;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Sandbox.Kubernetes;

namespace OpenSandbox.Ingress.Tests.Unit.Sandbox.Kubernetes;

/// <summary>One readiness or endpoint rule of SPEC §6.1 and §6.2 per test, over resource JSON.</summary>
public sealed class ProjectionTests
{
    private static SandboxResource Parse(string json) => JsonSerializer.Deserialize(json, SandboxJsonContext.Default.SandboxResource)!;

    private static string Batch(string annotations = """{"sandbox.opensandbox.io/endpoints":"[\"10.0.0.7\",\"10.0.0.8\"]"}""",
        string status = """{"ready":1}""", string spec = """{"replicas":1}""") =>
        $$"""{"kind":"BatchSandbox","metadata":{"name":"b","namespace":"ns","annotations":{{annotations}}},"spec":{{spec}},"status":{{status}}}""";

    private static string Agent(string status) =>
        $$"""{"kind":"Sandbox","metadata":{"name":"a","namespace":"ns"},"status":{{status}}}""";

    [Fact]
    public void Ready_batch_sandbox_routes_to_its_first_endpoint()
    {
        var record = SandboxProjection.TryProject(Parse(Batch()), null, out _)!;

        Assert.True(record.Readiness.IsReady);
        Assert.Equal("10.0.0.7", record.Endpoint);
        Assert.Equal("http://10.0.0.7:8080", record.Address!.At(8080).Prefix);
        Assert.Equal(("ns", "b"), (record.Namespace, record.Name));
        Assert.Null(record.AccessToken);
    }

    [Theory]
    [InlineData("""{"ready":0}""", """{"replicas":3}""", "ready: 0/3")]
    [InlineData("""{}""", """{}""", "ready: 0/1")]
    [InlineData("""{"ready":1,"phase":"Paused"}""", """{}""", "Paused")]
    [InlineData("""{"ready":1,"phase":"Pausing"}""", """{}""", "Pausing")]
    [InlineData("""{"ready":1,"phase":"Resuming"}""", """{}""", "Resuming")]
    public void Batch_sandbox_readiness(string status, string spec, string reason)
    {
        var record = SandboxProjection.TryProject(Parse(Batch(status: status, spec: spec)), null, out _)!;

        Assert.Contains(reason, record.Readiness.Reason);
    }

    [Theory]
    [InlineData("""{}""", "no endpoints annotation")]
    [InlineData("""{"sandbox.opensandbox.io/endpoints":"not json"}""", "not a JSON array")]
    [InlineData("""{"sandbox.opensandbox.io/endpoints":"{\"a\":1}"}""", "not a JSON array")]
    [InlineData("""{"sandbox.opensandbox.io/endpoints":"[]"}""", "no endpoints")]
    [InlineData("""{"sandbox.opensandbox.io/endpoints":"[\"http://evil.example/x\"]"}""", "not a valid host")]
    [InlineData("""{"sandbox.opensandbox.io/endpoints":"[\"10.0.0.1:80\"]"}""", "not a valid host")]
    public void Batch_sandbox_endpoint_problems_are_503_reasons(string annotations, string reason)
    {
        var record = SandboxProjection.TryProject(Parse(Batch(annotations)), null, out _)!;

        Assert.Null(record.Endpoint);
        Assert.Contains(reason, record.Readiness.Reason);
    }

    [Fact]
    public void Ipv6_endpoints_are_bracketed()
    {
        var record = SandboxProjection.TryProject(Parse(Batch("""{"sandbox.opensandbox.io/endpoints":"[\"fd00::7\"]"}""")), null, out _)!;

        Assert.Equal("[fd00::7]:8080", record.Address!.At(8080).Authority);
    }

    [Theory]
    [InlineData("  tok  ", "tok")]
    [InlineData("   ", null)]
    [InlineData("", null)]
    public void The_access_token_annotation_is_trimmed_and_empty_means_none(string token, string? expected)
    {
        var annotations = $$"""{"sandbox.opensandbox.io/endpoints":"[\"10.0.0.7\"]","opensandbox.io/secure-access-token":"{{token}}"}""";

        Assert.Equal(expected, SandboxProjection.TryProject(Parse(Batch(annotations)), null, out _)!.AccessToken);
    }

    [Fact]
    public void Ready_agent_sandbox_routes_to_its_service()
    {
        var record = SandboxProjection.TryProject(Parse(Agent("""{"serviceFQDN":"a.ns.svc.cluster.local","conditions":[{"type":"Ready","status":"True"}]}""")), null, out _)!;

        Assert.True(record.Readiness.IsReady);
        Assert.Equal("a.ns.svc.cluster.local", record.Endpoint);
    }

    [Theory]
    [InlineData("""{"serviceFQDN":"a.svc","conditions":[{"type":"Ready","status":"False","reason":"PodPending","message":"waiting"}]}""", "PodPending: waiting")]
    [InlineData("""{"serviceFQDN":"a.svc","conditions":[{"type":"Other","status":"True"}]}""", "no Ready condition")]
    [InlineData("""{"serviceFQDN":"a.svc"}""", "no Ready condition")]
    [InlineData("""{"conditions":[{"type":"Ready","status":"True"}]}""", "no serviceFQDN")]
    [InlineData("""{"serviceFQDN":"","conditions":[{"type":"Ready","status":"True"}]}""", "no serviceFQDN")]
    public void Agent_sandbox_readiness_and_endpoint(string status, string reason)
    {
        Assert.Contains(reason, SandboxProjection.TryProject(Parse(Agent(status)), null, out _)!.Readiness.Reason);
    }

    [Fact]
    public void An_agent_sandbox_scaled_to_zero_is_paused()
    {
        var json = """{"kind":"Sandbox","metadata":{"name":"a","namespace":"ns"},"spec":{"replicas":0},"status":{"serviceFQDN":"a.svc","conditions":[{"type":"Ready","status":"True"}]}}""";

        Assert.Equal("sandbox is paused (replicas: 0)", SandboxProjection.TryProject(Parse(json), null, out _)!.Readiness.Reason);
    }

    [Fact]
    public void A_batch_sandbox_keeps_its_phase_for_waking()
    {
        var json = """{"kind":"BatchSandbox","metadata":{"name":"b","annotations":{"sandbox.opensandbox.io/endpoints":"[\"10.0.0.7\"]"}},"status":{"ready":0,"phase":"Paused"}}""";

        Assert.Equal(ReadinessState.Paused, SandboxProjection.TryProject(Parse(json), null, out _)!.Readiness.State);
    }

    [Fact]
    public void Resources_without_a_name_or_of_another_kind_are_skipped_with_a_reason()
    {
        Assert.Null(SandboxProjection.TryProject(Parse("""{"kind":"BatchSandbox","metadata":{}}"""), null, out var noName));
        Assert.Contains("metadata.name", noName);
        Assert.Null(SandboxProjection.TryProject(Parse("""{"kind":"Pod","metadata":{"name":"p"}}"""), null, out var otherKind));
        Assert.Contains("Pod", otherKind);
    }

    [Fact]
    public void A_missing_namespace_means_default()
    {
        Assert.Equal("default", SandboxProjection.TryProject(Parse("""{"kind":"BatchSandbox","metadata":{"name":"x"}}"""), null, out _)!.Namespace);
    }
}
