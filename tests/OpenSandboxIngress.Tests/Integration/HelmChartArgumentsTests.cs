using System.Globalization;
using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The container arguments the upstream Helm chart renders for the Go ingress (each <c>--flag=value</c>), given to
/// the executable unchanged, with the cluster reached through <c>KUBECONFIG</c>; only the port is a free one.
/// </summary>
public sealed class HelmChartArgumentsTests
{
    // Base64 of "SECRET" and "SECRET2": the chart's value is a key list in the same form.
    private const string Keys = "a=U0VDUkVU,b=U0VDUkVUMg==";

    [Theory]
    [InlineData("batchsandbox", "header")]
    [InlineData("batchsandbox", "uri")]
    [InlineData("agent-sandbox", "header")]
    public async Task The_charts_arguments_start_the_ingress_and_route(string provider, string mode)
    {
        await using var backend = await TestBackend.StartAsync();
        var agent = provider == "agent-sandbox";
        await using var emulator = agent
            ? await KubernetesApiEmulator.StartAsync("agents.x-k8s.io", "v1alpha1", "sandboxes", "Sandbox")
            : await KubernetesApiEmulator.StartAsync();
        emulator.Upsert("team-a", "chart-box", agent ? SandboxObjects.AgentSandbox("127.0.0.1", ready: true) : SandboxObjects.BatchSandbox());
        var port = FreePort.Next();
        var kubeconfig = Kubeconfig.Write(emulator.Server, null, null);

        await using var ingress = await IngressProcess.StartExactAsync(port, new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig },
            "--namespace=team-a", $"--port={port.ToString(CultureInfo.InvariantCulture)}", $"--provider-type={provider}", $"--mode={mode}",
            "--log-level=info", $"--secure-access-keys={Keys}");
        using var client = new HttpClient();
        var request = mode == "uri"
            ? new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/chart-box/{backend.Port}/hello")
            : new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/hello");
        if (mode == "header")
        {
            request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"chart-box-{backend.Port}");
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/hello", backend.Requests.Single().RawTarget);
        Assert.Contains($"\"Namespace\":\"team-a\"", ingress.Output, StringComparison.Ordinal);
        Assert.Contains(emulator.RequestLog, path => path.StartsWith("/apis/", StringComparison.Ordinal) && path.Contains("/namespaces/team-a/", StringComparison.Ordinal));
    }
}
