using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Tests.Infrastructure;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.Pipeline;

/// <summary>The terminal stage with a forwarder that fails as YARP reports failures; the answers are the ingress's own.</summary>
public sealed class ForwardingStageTests : IDisposable
{
    private readonly IngressMetrics _metrics = new(new RoutingOptions(), new SandboxDirectory(SandboxNaming.Exact), new RenewIntentCounters(), Discarded.Log);
    private readonly UpstreamClient _upstream;

    public ForwardingStageTests() => _upstream = new UpstreamClient(new UpstreamOptions(), new LifecycleOptions(), new FakeTimeProvider(), _metrics);

    public void Dispose()
    {
        _upstream.Dispose();
        _metrics.Dispose();
    }

    private sealed class FailingForwarder(ForwarderError error, Exception cause, int status) : IHttpForwarder
    {
        public string? Destination { get; private set; }

        public ValueTask<ForwarderError> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient,
            ForwarderRequestConfig requestConfig, HttpTransformer transformer, CancellationToken cancellationToken)
        {
            Destination = destinationPrefix;
            context.Response.StatusCode = status;
            context.Features.Set<IForwarderErrorFeature>(new ErrorFeature(error, cause));
            return ValueTask.FromResult(error);
        }

        public ValueTask<ForwarderError> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient,
            ForwarderRequestConfig requestConfig, HttpTransformer transformer) =>
            SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, CancellationToken.None);

        private sealed class ErrorFeature(ForwarderError error, Exception cause) : IForwarderErrorFeature
        {
            public ForwarderError Error => error;

            public Exception? Exception => cause;
        }
    }

    private async Task<StageContext> ForwardAsync(IHttpForwarder forwarder)
    {
        var context = StageContext.Resolved(StageContext.Sandbox(), 8080);
        context.Feature!.Destination = context.Feature.Sandbox.Address!.At(8080);
        var stage = new ForwardingStage(forwarder, _upstream, new ForwardingTransformer(new RoutingOptions()),
            new WebSocketDrain(new RequestLog(_metrics, new AccessLog(Discarded.Log, enabled: false), TimeProvider.System), NullLogger<WebSocketDrain>.Instance), _metrics, NullLogger<ForwardingStage>.Instance);
        await stage.InvokeAsync(context.Http);
        return context;
    }

    [Fact]
    public async Task A_refused_connection_is_502_naming_the_sandbox_and_the_request_counts_as_forwarded()
    {
        var forwarder = new FailingForwarder(ForwarderError.Request, new HttpRequestException("refused", new System.Net.Sockets.SocketException(111)), 502);

        var context = await ForwardAsync(forwarder);

        Assert.Equal("http://10.0.0.7:8080", forwarder.Destination);
        Assert.Equal(502, context.Status);
        Assert.Equal("OpenSandbox Ingress: sandbox box is unreachable\n", context.Text);
        Assert.True(context.Feature!.Forwarded);
    }

    [Fact]
    public async Task A_sandbox_that_does_not_answer_in_time_is_504()
    {
        var context = await ForwardAsync(new FailingForwarder(ForwarderError.Request, new TimeoutException(), 502));

        Assert.Equal(504, context.Status);
        Assert.Equal("OpenSandbox Ingress: sandbox box did not answer in time\n", context.Text);
    }

    [Fact]
    public async Task A_client_that_went_away_gets_no_answer()
    {
        var context = await ForwardAsync(new FailingForwarder(ForwarderError.RequestCanceled, new OperationCanceledException(), 502));

        Assert.Equal(0, context.Body.Length);
    }
}
