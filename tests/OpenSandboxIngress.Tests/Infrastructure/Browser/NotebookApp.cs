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

namespace OpenSandbox.Ingress.Tests.Infrastructure.Browser;

/// <summary>
/// A sandbox app that behaves as Jupyter Notebook does where it matters to a browser: it serves only under its
/// configured base path (<c>base_url</c>), its page loads assets by absolute URLs built from that path, and it refuses
/// (403) a POST or a WebSocket whose <c>Origin</c> names another host than its <c>Host</c> (Jupyter's
/// <c>check_origin</c>, also Tornado's, Django's CSRF and Rails' rule). It records every request it sees.
/// </summary>
internal sealed class NotebookApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private NotebookApp(WebApplication app, string basePath)
    {
        _app = app;
        BasePath = basePath;
    }

    /// <summary>Starts and ends with <c>/</c>.</summary>
    public string BasePath { get; }

    public int Port { get; private set; }

    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    /// <summary>Requests refused by the origin rule.</summary>
    public int Refused => _refused;

    private int _refused;

    /// <param name="basePath">A function of the port, since a URI-mode base path names it: <c>port => $"/nb/{port}/"</c>.</param>
    public static async Task<NotebookApp> StartAsync(Func<int, string>? basePath = null)
    {
        // The port is known only once bound, and the base path may name it: bind first, then build the app on that port.
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var notebook = new NotebookApp(app, basePath?.Invoke(port) ?? "/") { Port = port };
        app.UseWebSockets();
        app.Run(notebook.HandleAsync);
        await app.StartAsync();
        return notebook;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        _requests.Enqueue(new RecordedRequest(request.Method, rawTarget, headers, request.Protocol));

        var path = request.Path.Value ?? "/";
        if (!path.StartsWith(BasePath, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var local = path[(BasePath.Length - 1)..];
        if ((HttpMethods.IsPost(request.Method) || context.WebSockets.IsWebSocketRequest) && CrossOrigin(request))
        {
            Interlocked.Increment(ref _refused);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("Blocking Cross Origin API request");
            return;
        }

        switch (local)
        {
            case "/":
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync(Page());
                return;
            case "/static/app.css":
                context.Response.ContentType = "text/css";
                await context.Response.WriteAsync("body { font-family: sans-serif; background: #f4f8ff; } #state { color: #063; }");
                return;
            case "/static/app.js":
                context.Response.ContentType = "text/javascript";
                await context.Response.WriteAsync("document.getElementById('state').textContent = 'script loaded from ' + location.host;");
                return;
            case "/static/logo.svg":
                context.Response.ContentType = "image/svg+xml";
                await context.Response.WriteAsync("<svg xmlns='http://www.w3.org/2000/svg' width='48' height='48'><circle cx='24' cy='24' r='20' fill='#f37626'/></svg>");
                return;
            case "/api/contents" when HttpMethods.IsPost(request.Method):
                context.Response.StatusCode = StatusCodes.Status201Created;
                await context.Response.WriteAsync("created Untitled.ipynb");
                return;
            case "/api/ws" when context.WebSockets.IsWebSocketRequest:
                await EchoAsync(context);
                return;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
        }
    }

    /// <summary>Jupyter's rule: an Origin is allowed when its host (with port) is the request's Host.</summary>
    private static bool CrossOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private string Page() => $"""
        <!doctype html>
        <html><head><title>Notebook</title>
        <link rel="stylesheet" href="{BasePath}static/app.css"></head>
        <body><h1>Notebook at {BasePath}</h1><img id="logo" src="{BasePath}static/logo.svg" alt="logo">
        <p id="state">script not loaded</p><p id="result"></p>
        <script src="{BasePath}static/app.js"></script></body></html>
        """;

    private static async Task EchoAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
