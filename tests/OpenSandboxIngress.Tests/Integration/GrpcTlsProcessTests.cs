using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.Grpc;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>The binary itself (Native AOT in CI) serving TLS and forwarding a gRPC call over it (SPEC §14).</summary>
public sealed class GrpcTlsProcessTests
{
    [Fact]
    public async Task The_binary_forwards_a_gRPC_call_that_arrives_over_TLS()
    {
        using var certificates = new TestCertificates();
        certificates.Issue("ingress");
        await using var sandbox = await GrpcSandbox.StartAsync();
        var manifests = Directory.CreateTempSubdirectory("osb-grpc-").FullName;
        await File.WriteAllTextAsync(Path.Combine(manifests, "echo.yaml"), Manifests.BatchSandbox("echo"), TestContext.Current.CancellationToken);
        var tlsPort = FreePort.Next();
        await using var ingress = await IngressProcess.StartAsync("--provider-type", "file", "--sandboxes-dir", manifests,
            "--tls-port", tlsPort.ToString(CultureInfo.InvariantCulture), "--tls-cert-file", certificates.CertFile, "--tls-key-file", certificates.KeyFile);

        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificates.Validate(new X509Certificate2(certificate));
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{tlsPort}", new GrpcChannelOptions { HttpHandler = handler });
        var client = new SandboxEcho.SandboxEchoClient(channel);

        var reply = await client.EchoAsync(new EchoRequest { Text = "through the binary" },
            new Grpc.Core.Metadata { { IngressHeaders.IngressTo, $"echo-{sandbox.Port}" } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("through the binary", reply.Text);
        Directory.Delete(manifests, recursive: true);
    }
}
