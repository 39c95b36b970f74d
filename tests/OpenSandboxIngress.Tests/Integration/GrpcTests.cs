using Grpc.Core;
using Grpc.Net.Client;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.Grpc;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// gRPC through the ingress (SPEC §14) with Grpc.Net.Client and a Grpc.AspNetCore service as the sandbox: every kind of
/// call through the h2c port and the TLS port, and the ingress's own answers as gRPC statuses.
/// </summary>
public sealed class GrpcTests : IAsyncLifetime
{
    private readonly TestCertificates _certificates = new();
    private GrpcSandbox _sandbox = null!;
    private InProcessIngress _ingress = null!;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await GrpcSandbox.StartAsync();
        _certificates.Issue("ingress");
        _ingress = await InProcessIngress.StartAsync(
            configure: o => o with { Listen = o.Listen with { TlsPort = FreePort.Next(), TlsCertFile = _certificates.CertFile, TlsKeyFile = _certificates.KeyFile } },
            manifests: new Dictionary<string, string>
            {
                ["grpc.yaml"] = Manifests.BatchSandbox("echo"),
                ["starting.yaml"] = Manifests.BatchSandbox("starting", ready: 0),
                ["locked.yaml"] = Manifests.BatchSandbox("locked", token: "t0ken"),
            });
    }

    public async ValueTask DisposeAsync()
    {
        await _ingress.DisposeAsync();
        await _sandbox.DisposeAsync();
        _certificates.Dispose();
    }

    /// <summary>Adds the routing header to every call, as an SDK configured for an ingress does.</summary>
    private sealed class RouteTo(string route, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, route);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private SandboxEcho.SandboxEchoClient Client(string listener, string route)
    {
        var sockets = new SocketsHttpHandler();
        sockets.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 presented && _certificates.Validate(presented);
        var address = listener == "tls" ? _ingress.TlsAddress! : _ingress.H2cAddress;
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new RouteTo(route, sockets), DisposeHttpClient = true });
        return new SandboxEcho.SandboxEchoClient(channel);
    }

    private string Route(string sandbox = "echo") => $"{sandbox}-{_sandbox.Port}";

    [Theory]
    [InlineData("h2c")]
    [InlineData("tls")]
    public async Task Unary_and_streaming_calls_statuses_with_trailers_and_deadlines_reach_the_sandbox(string listener)
    {
        var client = Client(listener, Route());
        var token = TestContext.Current.CancellationToken;

        // Unary, with the call's metadata as the sandbox sees it.
        var reply = await client.EchoAsync(new EchoRequest { Text = "hello" }, new Metadata { { "x-caller", "test" } }, cancellationToken: token);
        Assert.Equal("hello", reply.Text);
        Assert.Equal("test", _sandbox.Service.LastHeaders!.GetValue("x-caller"));

        // Server streaming.
        using var counting = client.Count(new CountRequest { UpTo = 5 }, cancellationToken: token);
        var counted = new List<string>();
        await foreach (var item in counting.ResponseStream.ReadAllAsync(token))
        {
            counted.Add(item.Text);
        }

        Assert.Equal(["1", "2", "3", "4", "5"], counted);

        // Client streaming.
        using var collecting = client.Collect(cancellationToken: token);
        foreach (var text in new[] { "a", "b", "c" })
        {
            await collecting.RequestStream.WriteAsync(new EchoRequest { Text = text }, token);
        }

        await collecting.RequestStream.CompleteAsync();
        Assert.Equal("a,b,c", (await collecting).Text);

        // A status and trailers from the sandbox.
        var failed = await Assert.ThrowsAsync<RpcException>(async () => await client.FailAsync(new EchoRequest(), cancellationToken: token));
        Assert.Equal((StatusCode.FailedPrecondition, "sandbox says no"), (failed.StatusCode, failed.Status.Detail));
        Assert.Equal("from the trailers", failed.Trailers.GetValue("x-detail"));

        // A deadline that passes while the sandbox works: the client gets DEADLINE_EXCEEDED and the sandbox is cancelled.
        var late = await Assert.ThrowsAsync<RpcException>(async () => await client.SleepAsync(new SleepRequest { Milliseconds = 10_000 },
            deadline: DateTime.UtcNow.AddMilliseconds(300), cancellationToken: token));
        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
        await _sandbox.Service.SleepCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5), token);
    }

    [Theory]
    [InlineData("unknown", StatusCode.NotFound, "not found")]
    [InlineData("starting", StatusCode.Unavailable, "not ready")]
    [InlineData("locked", StatusCode.Unauthenticated, "access")]
    [InlineData("closed", StatusCode.Unavailable, "unreachable")]
    public async Task The_ingress_own_answers_are_gRPC_statuses_with_the_reason(string sandbox, StatusCode expected, string reason)
    {
        var route = sandbox switch
        {
            "unknown" => $"nobody-{_sandbox.Port}",
            "closed" => $"echo-{FreePort.Next()}",
            _ => Route(sandbox),
        };
        var client = Client("h2c", route);

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.EchoAsync(new EchoRequest { Text = "x" }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(expected, refused.StatusCode);
        Assert.Contains(reason, refused.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }
}
