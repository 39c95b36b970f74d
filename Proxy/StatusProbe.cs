using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Hosting;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Proxy;

/// <summary><c>GET</c>/<c>HEAD /status.ok</c> (SPEC §3): 200 once the cache has synced, 503 before that and while draining.</summary>
internal sealed class StatusProbe(RequestRouter router, DrainState drain)
{
    public const string Path = "/status.ok";

    private static readonly IResult Ok = new OkResult();
    private static readonly IResult Draining = new ErrorResponse(ErrorCode.Draining, "draining");
    private static readonly IResult NotSynced = new ErrorResponse(ErrorCode.CacheNotSynced, "cache not synced");

    public IResult Answer() => drain.IsDraining ? Draining : router.IsSynced ? Ok : NotSynced;

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
