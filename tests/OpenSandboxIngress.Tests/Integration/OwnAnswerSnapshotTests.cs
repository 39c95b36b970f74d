using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenSandbox.Ingress.Hosting;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;
using Snapshooter.Xunit3;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// Every answer the ingress gives itself, as a client reads it (status, content type, body), in one snapshot: clients
/// and scripts parse these lines, so any change to one is a deliberate change made together with the snapshot.
/// </summary>
public sealed class OwnAnswerSnapshotTests
{
    private static readonly string Sandboxes = string.Join("\n---\n",
        Manifests.BatchSandbox("open"),
        Manifests.BatchSandbox("cold", ready: 0),
        Manifests.BatchSandbox("paused", ready: 0, phase: "Paused"),
        Manifests.BatchSandbox("locked", token: "t0ken"),
        Manifests.BatchSandbox("twin", @namespace: "team-a"),
        Manifests.BatchSandbox("twin", @namespace: "team-b"),
        """
        kind: BatchSandbox
        metadata: {name: nowhere}
        status: {ready: 1}
        """);

    [Fact]
    public async Task Every_status_the_ingress_answers_itself()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(""));
        await using var ingress = await InProcessIngress.StartAsync(
            configure: options => options with { UpstreamResponseTimeout = TimeSpan.FromSeconds(1) },
            manifests: new Dictionary<string, string> { ["all.yaml"] = Sandboxes });
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ingress.BaseAddress.Port;
        var live = backend.Port.ToString(CultureInfo.InvariantCulture);
        var dead = ((IPEndPoint)closed.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

        var answers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["400 no routing key"] = await AskAsync(port, "GET / HTTP/1.1\r\nHost: \r\n"),
            ["400 no port"] = await AskAsync(port, Route("open")),
            ["400 port 0"] = await AskAsync(port, Route("open-0")),
            ["400 two routing headers"] = await AskAsync(port, Route($"open-{live}") + $"OpenSandbox-Ingress-To: open-{live}\r\n"),
            ["400 malformed signed route"] = await AskAsync(port, Route("open-8080-zzz-1q234567a")),
            ["401 no credential"] = await AskAsync(port, Route($"locked-{live}")),
            ["401 wrong token"] = await AskAsync(port, Route($"locked-{live}") + "OpenSandbox-Secure-Access: nope\r\n"),
            ["401 two tokens"] = await AskAsync(port, Route($"locked-{live}") + "OpenSandbox-Secure-Access: a\r\nOpenSandbox-Secure-Access: b\r\n"),
            ["404 unknown sandbox"] = await AskAsync(port, Route($"nobody-{live}")),
            ["405 CONNECT"] = await AskAsync(port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"),
            ["502 in two namespaces"] = await AskAsync(port, Route($"twin-{live}")),
            ["502 unreachable"] = await AskAsync(port, Route($"open-{dead}")),
            ["503 not ready"] = await AskAsync(port, Route($"cold-{live}")),
            ["503 paused"] = await AskAsync(port, Route($"paused-{live}")),
            ["503 no endpoint"] = await AskAsync(port, Route($"nowhere-{live}")),
            ["503 signed route without keys"] = await AskAsync(port, Route($"locked-{live}-zzzzzzz-00000000a")),
            ["504 no answer in time"] = await AskAsync(port, Route($"open-{live}")),
        };

        ingress.Services.GetRequiredService<DrainState>().Begin();
        answers["503 draining (/status.ok)"] = await AskAsync(port, "GET /status.ok HTTP/1.1\r\nHost: h\r\n");
        await using var hung = await KubernetesApiEmulator.StartAsync();
        hung.HangRequests();
        await using var unsynced = await InProcessIngress.StartAsync(configure: options => options with
        {
            Provider = Configuration.ProviderType.BatchSandbox,
            SandboxesDirectory = null,
            KubeconfigPath = Kubeconfig.Write(hung.Server, null, null),
        });
        answers["503 cache not synced (/status.ok)"] = await AskAsync(unsynced.BaseAddress.Port, "GET /status.ok HTTP/1.1\r\nHost: h\r\n");
        answers["503 cache not synced"] = await AskAsync(unsynced.BaseAddress.Port, Route($"open-{live}"));
        hung.ReleaseHungRequests();

        Snapshot.Match(answers);
    }

    private static string Route(string key) => $"GET /x HTTP/1.1\r\nHost: h\r\nOpenSandbox-Ingress-To: {key}\r\n";

    /// <returns>Status code, content type and body of the answer to one request on its own connection.</returns>
    private static async Task<string> AskAsync(int port, string head)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head + "Connection: close\r\n\r\n"), TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        var text = Encoding.UTF8.GetString(received.ToArray());
        var (responseHead, body) = (text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)], text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        var lines = responseHead.Split("\r\n");
        var contentType = lines.FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?["Content-Type:".Length..].Trim();
        return $"{lines[0]["HTTP/1.1 ".Length..]} | {contentType} | {body}";
    }
}
