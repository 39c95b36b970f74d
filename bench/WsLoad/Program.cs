// WebSocket load for the benchmark (no Debian tool measures WebSocket echo round trips):
//   WsLoad serve PORT                         echo server on 127.0.0.1:PORT (path /ws)
//   WsLoad load URL CONNECTIONS SECONDS [HEADER:VALUE]
// The client keeps one 32-byte message in flight per connection and prints "msgs/s p50_ms p99_ms errors".
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;

if (args is ["serve", var portText])
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, int.Parse(portText, CultureInfo.InvariantCulture)));
    var app = builder.Build();
    app.UseWebSockets();
    app.Run(async context =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    });
    await app.RunAsync();
    return 0;
}

if (args.Length >= 4 && args[0] == "load")
{
    var uri = new Uri(args[1]);
    var connections = int.Parse(args[2], CultureInfo.InvariantCulture);
    var duration = TimeSpan.FromSeconds(double.Parse(args[3], CultureInfo.InvariantCulture));
    var header = args.Length > 4 ? args[4].Split(':', 2) : null;
    var latencies = new List<double>[connections];
    var errors = 0;
    var deadline = Stopwatch.StartNew();
    var tasks = Enumerable.Range(0, connections).Select(async i =>
    {
        var mine = latencies[i] = new List<double>(100_000);
        using var socket = new ClientWebSocket();
        if (header is [var name, var value])
        {
            socket.Options.SetRequestHeader(name.Trim(), value.Trim());
        }

        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
            var message = new byte[32];
            var buffer = new byte[64];
            while (deadline.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                await socket.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None);
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.Count != message.Length)
                {
                    Interlocked.Increment(ref errors);
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (Exception)
        {
            Interlocked.Increment(ref errors);
        }
    }).ToArray();
    await Task.WhenAll(tasks);
    var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
    double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(all.Length * p))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{all.Length / deadline.Elapsed.TotalSeconds:F0} {Percentile(0.5):F3} {Percentile(0.99):F3} {errors}"));
    return 0;
}

Console.Error.WriteLine("usage: WsLoad serve PORT | WsLoad load URL CONNECTIONS SECONDS [HEADER:VALUE]");
return 2;
