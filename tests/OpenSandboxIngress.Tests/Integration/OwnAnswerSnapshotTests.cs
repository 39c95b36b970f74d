using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenSandbox.Ingress.Hosting;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;
using Snapshooter;
using Snapshooter.Xunit3;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// Every answer the ingress gives itself, as a client reads it (status, content type, Retry-After, body), in each form
/// <c>Accept</c> can ask for, one snapshot per form: clients and scripts parse these, so any change to one is a
/// deliberate change made together with its snapshot.
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

    [Theory]
    [InlineData("none", null)]
    [InlineData("any", "*/*")]
    [InlineData("browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]
    [InlineData("json", "application/json")]
    public async Task Every_status_the_ingress_answers_itself(string form, string? accept)
    {
        string Ask(string head) => head + (accept is null ? "" : $"Accept: {accept}\r\n");

        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(""));
        await using var ingress = await InProcessIngress.StartAsync(
            configure: options => options with { Upstream = options.Upstream with { ResponseTimeout = TimeSpan.FromSeconds(1) }, Limits = options.Limits with { MaxRequestsPerSandbox = 1 } },
            manifests: new Dictionary<string, string> { ["all.yaml"] = Sandboxes });
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ingress.BaseAddress.Port;
        var live = backend.Port.ToString(CultureInfo.InvariantCulture);
        var dead = ((IPEndPoint)closed.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

        var answers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["400 no routing key"] = await AskAsync(port, Ask("GET / HTTP/1.1\r\nHost: \r\n")),
            ["400 no port"] = await AskAsync(port, Ask(Route("open"))),
            ["400 port 0"] = await AskAsync(port, Ask(Route("open-0"))),
            ["400 two routing headers"] = await AskAsync(port, Ask(Route($"open-{live}") + $"{IngressHeaders.IngressTo}: open-{live}\r\n")),
            ["400 malformed signed route"] = await AskAsync(port, Ask(Route("open-8080-zzz-1q234567a"))),
            ["401 no credential"] = await AskAsync(port, Ask(Route($"locked-{live}"))),
            ["401 wrong token"] = await AskAsync(port, Ask(Route($"locked-{live}") + $"{IngressHeaders.SecureAccess}: nope\r\n")),
            ["401 two tokens"] = await AskAsync(port, Ask(Route($"locked-{live}") + $"{IngressHeaders.SecureAccess}: a\r\n{IngressHeaders.SecureAccess}: b\r\n")),
            ["404 unknown sandbox"] = await AskAsync(port, Ask(Route($"nobody-{live}"))),
            ["405 CONNECT"] = await AskAsync(port, Ask("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n")),
            ["502 in two namespaces"] = await AskAsync(port, Ask(Route($"twin-{live}"))),
            ["502 unreachable"] = await AskAsync(port, Ask(Route($"open-{dead}"))),
            ["503 not ready"] = await AskAsync(port, Ask(Route($"cold-{live}"))),
            ["503 paused"] = await AskAsync(port, Ask(Route($"paused-{live}"))),
            ["503 no endpoint"] = await AskAsync(port, Ask(Route($"nowhere-{live}"))),
            ["503 signed route without keys"] = await AskAsync(port, Ask(Route($"locked-{live}-zzzzzzz-00000000a"))),
        };

        // The sandbox never answers: one request holds its only slot until the 1 s timeout, the next is refused.
        var held = AskAsync(port, Ask(Route($"open-{live}")));
        await Eventually.WaitAsync(() => Task.FromResult(backend.Requests.Count), n => n == 1, TimeSpan.FromSeconds(5), "the held request");
        answers["429 sandbox at its limit"] = await AskAsync(port, Ask(Route($"open-{live}")));
        answers["504 no answer in time"] = await held;

        ingress.Services.GetRequiredService<DrainState>().Begin();
        answers["503 draining (/status.ok)"] = await AskAsync(port, Ask("GET /status.ok HTTP/1.1\r\nHost: h\r\n"));
        await using var hung = await KubernetesApiEmulator.StartAsync();
        hung.HangRequests();
        await using var unsynced = await InProcessIngress.StartAsync(configure: options => options with
        {
            Source = new Configuration.SandboxSourceOptions { KubeconfigPath = Kubeconfig.Write(hung.Server, null, null) },
        });
        answers["503 cache not synced (/status.ok)"] = await AskAsync(unsynced.BaseAddress.Port, Ask("GET /status.ok HTTP/1.1\r\nHost: h\r\n"));
        answers["503 cache not synced"] = await AskAsync(unsynced.BaseAddress.Port, Ask(Route($"open-{live}")));
        hung.ReleaseHungRequests();

        // Ports are new every run: the snapshot names them by role.
        var stable = answers.ToDictionary(a => a.Key, a => a.Value.Replace(live, "<port>", StringComparison.Ordinal).Replace(dead, "<closed port>", StringComparison.Ordinal));
        Snapshot.Match(stable, SnapshotNameExtension.Create(form));
    }

    private static string Route(string key) => $"GET /x HTTP/1.1\r\nHost: h\r\n{IngressHeaders.IngressTo}: {key}\r\n";

    /// <returns>Status code, content type, Retry-After and body of the answer to one request on its own connection.</returns>
    private static async Task<string> AskAsync(int port, string head)
    {
        using var connection = new RawHttp(port);
        await connection.SendAsync(head + "Connection: close\r\n\r\n");
        var text = Encoding.UTF8.GetString(await connection.ReadBytesUntilClosedAsync());
        var (responseHead, body) = (text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)], text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        var lines = responseHead.Split("\r\n");
        string? Header(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
        var retryAfter = Header("Retry-After") is { } seconds ? $"Retry-After {seconds} | " : "";
        return $"{lines[0]["HTTP/1.1 ".Length..]} | {Header("Content-Type")} | {retryAfter}{body}";
    }
}
