using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Proxy.Pipeline;

namespace OpenSandbox.Ingress.Limits;

/// <summary>
/// <c>--max-requests-per-sandbox</c> (SPEC §5): a sandbox with that many requests and WebSockets in flight gets 429 with
/// Retry-After before anything reaches it, so one busy sandbox cannot take every connection of the ingress. One
/// concurrency limiter per sandbox id, kept by the partitioned limiter only while the sandbox is busy or was lately.
/// </summary>
internal sealed class SandboxLimitStage(LimitOptions options, IngressMetrics metrics) : IProxyStage, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(sandboxId =>
        RateLimitPartition.GetConcurrencyLimiter(sandboxId, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxRequestsPerSandbox,
            QueueLimit = 0,
        }));

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Features.GetRequiredFeature<SandboxRequestFeature>();
        using var lease = _limiter.AttemptAcquire(request.SandboxId);
        if (!lease.IsAcquired)
        {
            metrics.Refused(RefusalReason.SandboxLimit);
            await new ErrorResponse(ErrorCode.TooManyRequests,
                $"sandbox {request.SandboxId} is at its limit of {options.MaxRequestsPerSandbox} concurrent requests", request.SandboxId, request.Port)
                .WriteAsync(context);
            return;
        }

        await next(context);
    }

    public void Dispose() => _limiter.Dispose();
}
