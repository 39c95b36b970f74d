using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The executable as a <c>Type=notify</c> systemd service sees it: <c>NOTIFY_SOCKET</c> names a datagram socket this test
/// owns, as systemd's would be, and <c>JOURNAL_STREAM</c> says stdout goes to the journal.
/// </summary>
public sealed class SystemdNotifyProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly string _directory = Directory.CreateTempSubdirectory("osb-notify-").FullName;
    private Socket _notifySocket = null!;
    private KubernetesApiEmulator _emulator = null!;

    private string NotifySocketPath => Path.Combine(_directory, "notify");

    public async ValueTask InitializeAsync()
    {
        _notifySocket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _notifySocket.Bind(new UnixDomainSocketEndPoint(NotifySocketPath));
        _emulator = await KubernetesApiEmulator.StartAsync();
        _emulator.Upsert("default", "listed", SandboxObjects.BatchSandbox());
    }

    public async ValueTask DisposeAsync()
    {
        _notifySocket.Dispose();
        await _emulator.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private IngressLaunch AsSystemdService => new()
    {
        Environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = NotifySocketPath, ["JOURNAL_STREAM"] = "8:4242" },
        WaitForReady = false,
    };

    /// <summary>The next datagram the ingress sent, as systemd would read it: newline-separated assignments.</summary>
    private async Task<string[]> ReceiveAsync()
    {
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Deadline);
        var received = await _notifySocket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task<HttpStatusCode> StatusAsync(IngressProcess ingress)
    {
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://127.0.0.1:{ingress.Port}/status.ok", TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Ready_is_sent_once_the_cache_synced_and_stopping_when_draining_starts()
    {
        // The first list is held back, so the ingress is up and listening long before its cache can sync.
        _emulator.HangRequests();
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, null);
        await using var ingress = await IngressProcess.StartAsync(AsSystemdService,
            "--kubeconfig", kubeconfig, "--shutdown-delay", "3", "--drain-timeout", "7");

        await Eventually.WaitAsync(() => Task.FromResult(_emulator.RequestLog.Any(p => !p.Contains("watch=true", StringComparison.Ordinal))),
            listed => listed, Deadline, "the first list request");
        await ingress.WaitForStatusAsync(HttpStatusCode.ServiceUnavailable, Deadline);
        // Listening and answering, the list still unanswered: nothing may have been sent yet.
        Assert.Equal(0, _notifySocket.Available);

        _emulator.ReleaseHungRequests();
        Assert.Equal(["READY=1"], await ReceiveAsync());
        // READY=1 came after the sync, never before: the probe already answers 200 when the datagram is read.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(ingress));

        ingress.SendSigterm();
        var stopping = await ReceiveAsync();
        // Draining has begun by the time STOPPING=1 is read; within the 3 s shutdown delay the probe answers 503.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(ingress));
        // The stop timeout is extended to the whole budget (3 + 7 s) and 5 s for the exit.
        Assert.Equal(["STOPPING=1", "EXTEND_TIMEOUT_USEC=15000000"], stopping);
        Assert.Equal(0, await ingress.WaitForExitAsync(Deadline));
        Assert.Equal(0, _notifySocket.Available);

        // stdout attached to the journal keeps one JSON object a line.
        var lines = ingress.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
    }

    [Fact]
    public async Task A_notify_socket_nobody_listens_on_is_logged_and_the_ingress_serves()
    {
        var launch = AsSystemdService with
        {
            Environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = Path.Combine(_directory, "gone") },
            WaitForReady = true,
        };
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, null);
        await using var ingress = await IngressProcess.StartAsync(launch, "--kubeconfig", kubeconfig);

        await Eventually.WaitAsync(() => Task.FromResult(ingress.Output), output => output.Contains("Could not tell systemd READY=1", StringComparison.Ordinal),
            Deadline, "the warning about the notify socket");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(ingress));
    }
}
