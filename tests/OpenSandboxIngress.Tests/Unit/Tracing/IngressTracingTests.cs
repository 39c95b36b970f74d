using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tracing;
using OpenSandbox.Ingress.Traffic;

namespace OpenSandbox.Ingress.Tests.Unit.Tracing;

public sealed class IngressTracingTests : IDisposable
{
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == IngressTracing.SourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public IngressTracingTests() => ActivitySource.AddActivityListener(_listener);

    public void Dispose() => _listener.Dispose();

    [Theory]
    [InlineData(true, "forwarded", 200)]
    [InlineData(false, "SANDBOX_UNREACHABLE", null)]
    public void A_forwarded_request_is_named_forwarded_unless_the_ingress_answered_it(bool sandboxAnswered, string name, int? upstreamStatus)
    {
        var context = new DefaultHttpContext();
        using var span = IngressTracing.StartRequest(context)!;
        var sandbox = StageContext.Sandbox();
        var request = new SandboxRequestFeature(new SandboxRoute(sandbox.Name, 8080, "/"), sandbox, "/", null) { Forwarded = true };
        if (!sandboxAnswered)
        {
            // The forward failed before a response: the ingress answers it itself.
            IngressTracing.Answered(ErrorCode.SandboxUnreachable);
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }

        IngressTracing.EndRequest(span, context, request, "header", new RequestTraffic(Stopwatch.GetTimestamp()));

        Assert.Equal(name, span.DisplayName);
        Assert.Equal(upstreamStatus, (int?)span.GetTagItem("opensandbox.upstream.status_code"));
    }
}
