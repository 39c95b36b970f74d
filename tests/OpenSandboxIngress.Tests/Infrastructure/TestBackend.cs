using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1 standing in for a sandbox. It records every request it sees and has a
/// few behaviours the tests drive: echo, server-sent events, large bodies, WebSocket echo and refusal.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    /// <summary>Released by a test to let <c>/sse</c> finish its response.</summary>
    public TaskCompletionSource SseRelease { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestBackend(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    public RecordedRequest LastRequest => _requests.Last();

    /// <param name="port">0 for any free port; a given one for a sandbox whose port opens late.</param>
    public static async Task<TestBackend> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
            k.Limits.MaxRequestLineSize = 1024 * 1024;
        });
        var app = builder.Build();
        var backend = new TestBackend(app);
        app.UseWebSockets();
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        backend.Port = new Uri(address).Port;
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        _requests.Enqueue(new RecordedRequest(request.Method, rawTarget, headers, request.Protocol));

        switch (request.Path.Value)
        {
            case "/ws" when context.WebSockets.IsWebSocketRequest:
                await EchoWebSocketAsync(context);
                return;
            case "/ws-forbidden":
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("no upgrade for you");
                return;
            case "/sse":
                await ServerSentEventsAsync(context);
                return;
            case "/download":
                await DownloadAsync(context, long.Parse(request.Query["bytes"]!, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case "/slow":
                await Task.Delay(int.Parse(request.Query["ms"]!, System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
                await context.Response.WriteAsync("slow");
                return;
            case "/upload":
                await context.Response.WriteAsync((await CountBodyAsync(request.Body)).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            default:
                context.Response.Headers["X-Backend-Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.Response.Headers["X-Seen-Host"] = request.Host.Value;
                await context.Response.WriteAsync($"{request.Method} {rawTarget}");
                return;
        }
    }

    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        var requested = context.WebSockets.WebSocketRequestedProtocols;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(requested.Count > 0 ? requested[0] : null);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            var text = received.MessageType == WebSocketMessageType.Text ? System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count) : null;
            if (text == "close-4001")
            {
                await socket.CloseAsync((WebSocketCloseStatus)4001, "custom close", CancellationToken.None);
                return;
            }

            if (text == "headers")
            {
                var seen = $"cookie={context.Request.Headers.Cookie};custom={context.Request.Headers["X-Custom"]};xff={context.Request.Headers[IngressHeaders.ForwardedFor]}";
                await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(seen), WebSocketMessageType.Text, true, CancellationToken.None);
                continue;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    }

    private async Task ServerSentEventsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: first\n\n");
        await context.Response.Body.FlushAsync();
        await SseRelease.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await context.Response.WriteAsync("data: last\n\n");
    }

    private static async Task DownloadAsync(HttpContext context, long bytes)
    {
        context.Response.ContentLength = bytes;
        var chunk = new byte[64 * 1024];
        for (long sent = 0; sent < bytes; sent += chunk.Length)
        {
            await context.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent)));
        }
    }

    private static async Task<long> CountBodyAsync(Stream body)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        SseRelease.TrySetResult();
        await _app.DisposeAsync();
    }
}
