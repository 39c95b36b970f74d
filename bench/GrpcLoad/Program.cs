// make bench's gRPC load: `serve PORT` runs the echo service on cleartext HTTP/2 (prior knowledge), as a sandbox would;
// `load URL CALLERS SECONDS [HEADER: VALUE]` makes unary calls from CALLERS concurrent loops over one channel and prints
// "calls/s p50-ms p99-ms errors".
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcLoad;
using Microsoft.AspNetCore.Server.Kestrel.Core;

if (args is ["serve", var port])
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), l => l.Protocols = HttpProtocols.Http2));
    builder.Services.AddGrpc();
    var app = builder.Build();
    app.MapGrpcService<EchoService>();
    await app.RunAsync();
    return 0;
}

if (args.Length >= 3 && args[0] == "load")
{
    var (url, callers, seconds) = (args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
    var metadata = new Metadata();
    if (args.Length > 4 && args[4].Split(':', 2) is [var name, var value])
    {
        metadata.Add(name.Trim(), value.Trim());
    }

    using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
    var client = new BenchEcho.BenchEchoClient(channel);
    var ping = new Ping { Text = "ping" };
    await client.EchoAsync(ping, metadata);
    var latencies = new List<double>[callers];
    var errors = 0;
    var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, callers).Select(async i =>
    {
        latencies[i] = [];
        while (Stopwatch.GetTimestamp() < until)
        {
            var begun = Stopwatch.GetTimestamp();
            try
            {
                await client.EchoAsync(ping, metadata);
                latencies[i].Add(Stopwatch.GetElapsedTime(begun).TotalMilliseconds);
            }
            catch (RpcException)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }));
    var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    Console.WriteLine(FormattableString.Invariant($"{all.Length / elapsed:F0} {all[all.Length / 2]:F3} {all[(int)(all.Length * 0.99)]:F3} {errors}"));
    return 0;
}

Console.Error.WriteLine("usage: GrpcLoad serve PORT | GrpcLoad load URL CALLERS SECONDS [HEADER: VALUE]");
return 2;

internal sealed class EchoService : BenchEcho.BenchEchoBase
{
    public override Task<Ping> Echo(Ping request, ServerCallContext context) => Task.FromResult(request);
}
