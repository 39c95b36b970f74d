using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Hosting;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.Sandbox;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// <c>GET</c>/<c>HEAD /status.ok</c> (SPEC §3): 200 once the cache has synced, 503 before that and while draining. Routing
/// matches the endpoint case-insensitively and with a trailing slash; any path other than exactly <c>/status.ok</c>
/// belongs to a sandbox, as in the Go ingress, and goes on to the proxy.
/// </summary>
internal sealed class StatusProbe(SandboxDirectory directory, DrainState drain, ProxyPipeline proxy)
{
    public const string Path = "/status.ok";

    private static readonly IResult Ok = new OkResult();
    private static readonly IResult Draining = new ErrorResponse(ErrorCode.Draining, "draining");
    private static readonly IResult NotSynced = Refusals.CacheNotSynced;

    public Task HandleAsync(HttpContext context) =>
        string.Equals(context.Request.Path.Value, Path, StringComparison.Ordinal) ? Answer().ExecuteAsync(context) : proxy.InvokeAsync(context);

    private IResult Answer() => drain.IsDraining ? Draining : directory.IsSynced ? Ok : NotSynced;

    private sealed class OkResult : IResult
    {
        private static readonly byte[] Body = "OK"u8.ToArray();

        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ErrorResponse.PlainTextContentType;
            response.ContentLength = Body.Length;
            return HttpMethods.IsHead(httpContext.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(Body).AsTask();
        }
    }
}
