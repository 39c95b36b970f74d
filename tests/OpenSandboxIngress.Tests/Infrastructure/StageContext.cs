using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Traffic;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// A <see cref="DefaultHttpContext"/> for one pipeline stage, as YARP tests its forwarder: the request target and headers
/// as a client sends them, a response body to read back, and a next delegate that records whether it ran.
/// </summary>
internal sealed class StageContext
{
    public StageContext(string target = "/", string? routeTo = null, string method = "GET")
    {
        Http.Request.Method = method;
        Http.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget = target;
        Http.Request.Path = target.StartsWith('/') ? target.Split('?')[0] : "/";
        Http.Response.Body = Body;
        // Every request has its byte counts from the pipeline's start.
        Http.Features.Set(new RequestTraffic(System.Diagnostics.Stopwatch.GetTimestamp()));
        if (routeTo is not null)
        {
            Http.Request.Headers[IngressHeaders.IngressTo] = routeTo;
        }

        Next = _ =>
        {
            NextCalls++;
            return Task.CompletedTask;
        };
    }

    public DefaultHttpContext Http { get; } = new();

    public MemoryStream Body { get; } = new();

    public RequestDelegate Next { get; set; }

    public int NextCalls { get; private set; }

    public int Status => Http.Response.StatusCode;

    public string Text => System.Text.Encoding.UTF8.GetString(Body.ToArray());

    public SandboxRequestFeature? Feature => Http.Features.Get<SandboxRequestFeature>();

    /// <summary>A request already resolved to <paramref name="sandbox"/>, as the stages after resolution see it.</summary>
    public static StageContext Resolved(SandboxRecord sandbox, int port = 8080, string pathAndQuery = "/")
    {
        var context = new StageContext(pathAndQuery, $"{sandbox.Name}-{port}");
        context.Http.Features.Set(new SandboxRequestFeature(new SandboxRoute(sandbox.Name, port, pathAndQuery), sandbox, pathAndQuery, null));
        return context;
    }

    public static SandboxRecord Sandbox(string name = "box", SandboxReadiness readiness = default, string? token = null,
        SandboxKind kind = SandboxKind.BatchSandbox, string? endpoint = "10.0.0.7") =>
        new("default", name, kind, endpoint, token, readiness);
}
