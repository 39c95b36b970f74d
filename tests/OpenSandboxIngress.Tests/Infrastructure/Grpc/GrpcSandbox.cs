using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Tests.Infrastructure.Grpc;

/// <summary>A gRPC service in a sandbox: Grpc.AspNetCore on cleartext HTTP/2 (prior knowledge), as sandboxes serve it.</summary>
internal sealed class GrpcSandbox : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcSandbox(WebApplication app, EchoService service) => (_app, Service) = (app, service);

    public EchoService Service { get; }

    public int Port { get; private set; }

    public static async Task<GrpcSandbox> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var service = new EchoService();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new GrpcSandbox(app, service) { Port = new Uri(address).Port };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(1));
        await _app.DisposeAsync();
    }

    internal sealed class EchoService : SandboxEcho.SandboxEchoBase
    {
        /// <summary>Completed when a Sleep call saw its deadline or cancellation reach the sandbox.</summary>
        public TaskCompletionSource SleepCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The metadata of the last call, as the sandbox received it.</summary>
        public Metadata? LastHeaders { get; private set; }

        public override Task<EchoReply> Echo(EchoRequest request, ServerCallContext context)
        {
            LastHeaders = context.RequestHeaders;
            return Task.FromResult(new EchoReply { Text = request.Text });
        }

        public override async Task Count(CountRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
        {
            for (var i = 1; i <= request.UpTo; i++)
            {
                await responseStream.WriteAsync(new EchoReply { Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
        }

        public override async Task<EchoReply> Collect(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
        {
            var texts = new List<string>();
            await foreach (var request in requestStream.ReadAllAsync())
            {
                texts.Add(request.Text);
            }

            return new EchoReply { Text = string.Join(",", texts) };
        }

        public override Task<EchoReply> Fail(EchoRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "sandbox says no"), new Metadata { { "x-detail", "from the trailers" } });

        public override async Task<EchoReply> Sleep(SleepRequest request, ServerCallContext context)
        {
            try
            {
                await Task.Delay(request.Milliseconds, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                SleepCancelled.TrySetResult();
                throw;
            }

            return new EchoReply { Text = "slept" };
        }
    }
}
