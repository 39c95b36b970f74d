using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Lifecycle;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// The OpenSandbox server's lifecycle API as the ingress calls it (OpenAPI <c>sandbox-lifecycle</c>):
/// <c>POST /v1/sandboxes/{sandboxId}/resume</c> with <c>OPEN-SANDBOX-API-KEY</c>, on a real loopback socket. It records
/// every call; an accepted resume (202) moves the BatchSandbox in the Kubernetes emulator to <c>Resuming</c> and, after
/// <see cref="ResumeDelay"/>, to <c>Succeed</c> with <c>ready</c> set, as the controller does.
/// </summary>
internal sealed class LifecycleApiEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LifecycleApiEmulator(WebApplication app) => _app = app;

    public string RequiredKey { get; set; } = "lifecycle-key";

    public TimeSpan ResumeDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Accept every call and never answer it, as a server that hangs does.</summary>
    public bool Hang { get; set; }

    private int _inFlight;
    private int _maxInFlight;

    /// <summary>The most calls that were open at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Calls open now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Sandbox id of every call, in order, with the status it was answered.</summary>
    public ConcurrentQueue<(string SandboxId, int Status)> Calls { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<LifecycleApiEmulator> StartAsync(KubernetesApiEmulator kubernetes, string @namespace = "default")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var emulator = new LifecycleApiEmulator(app);
        app.MapPost("/v1/sandboxes/{sandboxId}/resume", async (string sandboxId, HttpContext context) =>
        {
            if (emulator.Hang)
            {
                await emulator.HangAsync(context.RequestAborted);
                return Results.Empty;
            }

            if (context.Request.Headers[LifecycleApi.ApiKeyHeader] != emulator.RequiredKey)
            {
                emulator.Calls.Enqueue((sandboxId, StatusCodes.Status401Unauthorized));
                return Results.Json(new Dictionary<string, string> { ["code"] = "UNAUTHORIZED", ["message"] = "invalid API key" }, statusCode: 401);
            }

            emulator.Calls.Enqueue((sandboxId, StatusCodes.Status202Accepted));
            _ = emulator.ResumeLaterAsync(kubernetes, @namespace, sandboxId);
            return Results.StatusCode(StatusCodes.Status202Accepted);
        });
        await app.StartAsync();
        emulator.BaseAddress = new Uri(app.Urls.First());
        return emulator;
    }

    private async Task HangAsync(CancellationToken callerGone)
    {
        var open = Interlocked.Increment(ref _inFlight);
        int max;
        while (open > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, open, max) != max)
        {
        }

        try
        {
            await Task.Delay(Timeout.Infinite, callerGone);
        }
        catch (OperationCanceledException)
        {
            // The ingress gave up on the call: what this emulator is here to show.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ResumeLaterAsync(KubernetesApiEmulator kubernetes, string @namespace, string sandboxId)
    {
        kubernetes.Upsert(@namespace, sandboxId, SandboxObjects.BatchSandbox(ready: 0, phase: "Resuming"));
        await Task.Delay(ResumeDelay);
        kubernetes.Upsert(@namespace, sandboxId, SandboxObjects.BatchSandbox(ready: 1, phase: "Succeed"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
