namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Optional deadline for a sandbox's response headers (<c>--upstream-response-timeout</c>). The token given to the
/// handler covers sending the request and receiving the headers only, so a streaming body is never cut by it.
/// </summary>
internal sealed class ResponseHeadersTimeoutHandler(TimeSpan timeout, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await base.SendAsync(request, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no response headers within {timeout.TotalSeconds:0.###} s");
        }
    }
}
