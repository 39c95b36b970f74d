using System.Diagnostics;
using System.Text.Json;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Sandbox.Files;
using OpenSandbox.Ingress.Tests.Infrastructure;
using Snapshooter.Xunit3;

namespace OpenSandbox.Ingress.Tests.Unit;

/// <summary>
/// The objects of <c>deploy/</c>: rendered by <c>kubectl kustomize</c> where kubectl is installed, else read from the
/// files the kustomization lists. Either way the same checks run on the same objects.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly string DeployDirectory = RepositoryFile.DirectoryOf("deploy/kustomization.yaml");

    private static string BaseDirectory => Path.Combine(DeployDirectory, "base");

    /// <summary>The objects of a kustomization: rendered by kubectl, or without it the base's listed files.</summary>
    private static List<JsonElement> RenderedObjects(string kustomization = "")
    {
        var yaml = TryKubectlKustomize(Path.Combine(DeployDirectory, kustomization))
            ?? string.Join("\n---\n", KustomizationResources().Select(f => File.ReadAllText(Path.Combine(BaseDirectory, f))));
        return YamlDocuments.ToJson(new StringReader(yaml)).Select(json => JsonDocument.Parse(json).RootElement).Where(e => e.ValueKind == JsonValueKind.Object).ToList();
    }

    private static string? TryKubectlKustomize(string directory)
    {
        try
        {
            using var kubectl = Process.Start(new ProcessStartInfo("kubectl", ["kustomize", directory]) { RedirectStandardOutput = true, RedirectStandardError = true });
            var output = kubectl!.StandardOutput.ReadToEnd();
            kubectl.WaitForExit();
            Assert.Equal(0, kubectl.ExitCode);
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // kubectl is not installed here
        }
    }

    private static IEnumerable<string> KustomizationResources()
    {
        var kustomization = JsonDocument.Parse(YamlDocuments.ToJson(File.OpenText(Path.Combine(BaseDirectory, "kustomization.yaml"))).First());
        return kustomization.RootElement.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!);
    }

    private static JsonElement Single(List<JsonElement> objects, string kind) => Assert.Single(objects, o => o.GetProperty("kind").GetString() == kind);

    [Theory]
    [InlineData("")]
    [InlineData("namespaced")]
    [InlineData("wake")]
    [InlineData("tls")]
    public void The_container_args_are_flags_the_binary_has(string kustomization)
    {
        var deployment = Single(RenderedObjects(kustomization), "Deployment");
        var container = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        var known = IngressCommandLine.Create((_, _) => Task.FromResult(0)).Options.Select(o => o.Name).ToHashSet();
        var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToList();

        Assert.NotEmpty(args);
        Assert.All(args, arg => Assert.Contains(arg.Split('=')[0], known));
        var parsed = IngressCommandLine.Create((_, _) => Task.FromResult(0)).Parse(args);
        Assert.Empty(parsed.Errors);
        if (kustomization is not ("wake" or "tls"))
        {
            // The wake and TLS overlays name files that exist only in the pod, from their Secrets.
            Assert.Null(IngressOptions.Read(parsed).Error);
        }
    }

    [Fact]
    public void The_objects_of_deploy_are_the_reviewed_ones()
    {
        // Read from the files, not through kubectl, so the snapshot is the same on machines with and without it.
        var objects = Directory.GetFiles(DeployDirectory, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .ToDictionary(file => Path.GetRelativePath(DeployDirectory, file),
                file => YamlDocuments.ToJson(File.OpenText(file)).Select(json => Newtonsoft.Json.Linq.JToken.Parse(System.Text.Encoding.UTF8.GetString(json))).ToList());

        Snapshot.Match(objects);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.GetString() : null;

    [Theory]
    [InlineData("")]
    [InlineData("namespaced")]
    [InlineData("wake")]
    [InlineData("tls")]
    public void The_autoscaler_owns_the_deployment_replicas_and_scales_on_cpu(string kustomization)
    {
        var objects = RenderedObjects(kustomization);
        var deployment = Single(objects, "Deployment");
        var autoscaler = Single(objects, "HorizontalPodAutoscaler");
        var spec = autoscaler.GetProperty("spec");
        var target = spec.GetProperty("scaleTargetRef");
        var metric = Assert.Single(spec.GetProperty("metrics").EnumerateArray());

        Assert.Equal("autoscaling/v2", Text(autoscaler, "apiVersion"));
        Assert.Equal("apps/v1", Text(target, "apiVersion"));
        Assert.Equal("Deployment", Text(target, "kind"));
        Assert.Equal(Text(deployment.GetProperty("metadata"), "name"), Text(target, "name"));
        Assert.Equal(Text(deployment.GetProperty("metadata"), "namespace"), Text(autoscaler.GetProperty("metadata"), "namespace"));
        Assert.Equal(2, spec.GetProperty("minReplicas").GetInt32());
        Assert.Equal(10, spec.GetProperty("maxReplicas").GetInt32());
        Assert.Equal("Resource", Text(metric, "type"));
        Assert.Equal("cpu", Text(metric.GetProperty("resource"), "name"));
        Assert.Equal("Utilization", Text(metric.GetProperty("resource").GetProperty("target"), "type"));
        Assert.Equal(70, metric.GetProperty("resource").GetProperty("target").GetProperty("averageUtilization").GetInt32());

        // The HPA owns the count (a fixed one would be reset by every apply), and utilisation needs a CPU request.
        Assert.False(deployment.GetProperty("spec").TryGetProperty("replicas", out _));
        Assert.All(deployment.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers").EnumerateArray(),
            container => Assert.False(string.IsNullOrEmpty(Text(container.GetProperty("resources").GetProperty("requests"), "cpu"))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("namespaced")]
    [InlineData("wake")]
    [InlineData("tls")]
    public void Replicas_spread_across_nodes_beside_the_disruption_budget(string kustomization)
    {
        var objects = RenderedObjects(kustomization);
        var template = Single(objects, "Deployment").GetProperty("spec").GetProperty("template");
        var podLabels = template.GetProperty("metadata").GetProperty("labels");
        var spread = Assert.Single(template.GetProperty("spec").GetProperty("topologySpreadConstraints").EnumerateArray());
        var budget = Single(objects, "PodDisruptionBudget");

        Assert.Equal("kubernetes.io/hostname", Text(spread, "topologyKey"));
        Assert.Equal(1, spread.GetProperty("maxSkew").GetInt32());
        Assert.Equal("ScheduleAnyway", Text(spread, "whenUnsatisfiable"));
        foreach (var selector in new[] { spread.GetProperty("labelSelector"), budget.GetProperty("spec").GetProperty("selector") })
        {
            var matchLabels = selector.GetProperty("matchLabels").EnumerateObject().ToList();
            Assert.NotEmpty(matchLabels);
            Assert.All(matchLabels, label => Assert.Equal(label.Value.GetString(), Text(podLabels, label.Name)));
        }
    }

    [Fact]
    public void Probes_hit_the_status_endpoint_on_the_proxy_port()
    {
        var container = Single(RenderedObjects(), "Deployment").GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];

        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var get = container.GetProperty(probe).GetProperty("httpGet");
            Assert.Equal("/status.ok", get.GetProperty("path").GetString());
            Assert.Equal("http", get.GetProperty("port").GetString());
        }
    }

    [Fact]
    public void The_pod_runs_locked_down()
    {
        var pod = Single(RenderedObjects(), "Deployment").GetProperty("spec").GetProperty("template").GetProperty("spec");
        var security = pod.GetProperty("containers")[0].GetProperty("securityContext");

        Assert.True(pod.GetProperty("securityContext").GetProperty("runAsNonRoot").GetBoolean());
        Assert.True(security.GetProperty("readOnlyRootFilesystem").GetBoolean());
        Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean());
        Assert.Equal(["ALL"], security.GetProperty("capabilities").GetProperty("drop").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public void Every_rbac_rule_grants_exactly_get_list_watch_on_one_resource()
    {
        var roles = Directory.GetFiles(DeployDirectory, "*.yaml", SearchOption.AllDirectories)
            .SelectMany(f => YamlDocuments.ToJson(File.OpenText(f)))
            .Select(json => JsonDocument.Parse(json).RootElement)
            .Where(o => o.ValueKind == JsonValueKind.Object && o.GetProperty("kind").GetString() is "ClusterRole" or "Role")
            .ToList();

        Assert.True(roles.Count >= 3, $"{roles.Count} roles found");
        foreach (var rule in roles.SelectMany(r => r.GetProperty("rules").EnumerateArray()))
        {
            Assert.Equal(["get", "list", "watch"], rule.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()));
            Assert.Single(rule.GetProperty("resources").EnumerateArray());
        }
    }
}
