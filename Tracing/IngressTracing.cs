using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Traffic;

namespace OpenSandbox.Ingress.Tracing;

/// <summary>
/// The ingress's spans (SPEC §15). With tracing off nothing listens to <see cref="Source"/>, so every start below
/// returns null after one check and a request pays nothing else.
/// </summary>
internal static class IngressTracing
{
    public const string SourceName = "OpenSandbox.Ingress";

    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The server span of one proxied request, continuing the client's W3C trace context when it sent one.</summary>
    public static Activity? StartRequest(HttpContext context)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var headers = context.Request.Headers;
        var parent = headers.TryGetValue(TraceParent, out var traceParent)
            && ActivityContext.TryParse(traceParent.ToString(), headers.TryGetValue(TraceState, out var state) ? state.ToString() : null, isRemote: true,
                out var remote)
            ? remote
            : default;
        // A request without a context starts a trace of its own, whatever the host put in Activity.Current.
        Activity.Current = null;
        return Source.StartActivity("request", ActivityKind.Server, parent);
    }

    /// <summary>Names the server span after the outcome and records what the request was and moved.</summary>
    public static void EndRequest(Activity span, HttpContext context, SandboxRequestFeature? request, string mode, RequestTraffic traffic)
    {
        var status = context.Response.StatusCode;
        span.SetTag("http.request.method", context.Request.Method);
        span.SetTag("http.response.status_code", status);
        span.SetTag("opensandbox.routing.mode", mode);
        if (request is not null)
        {
            span.SetTag("opensandbox.sandbox.id", request.SandboxId);
            span.SetTag("opensandbox.sandbox.port", request.Port);
        }

        span.SetTag("opensandbox.bytes.received", traffic.Received);
        span.SetTag("opensandbox.bytes.sent", traffic.Sent);
        // An answer of the ingress's own (Answered) keeps its name even after a forward was tried: a sandbox that could
        // not be reached is answered 502 by the ingress, not by the sandbox.
        if (span.GetTagItem(AnswerTag) is null)
        {
            // Else the sandbox answered, or nobody did: a client that left, or a connection cut.
            var forwarded = request is { Forwarded: true };
            span.DisplayName = forwarded ? "forwarded" : "unanswered";
            if (forwarded)
            {
                span.SetTag("opensandbox.upstream.status_code", status);
            }
        }

        if (status >= StatusCodes.Status500InternalServerError)
        {
            span.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>An answer the ingress gave itself names the request's server span.</summary>
    public static void Answered(ErrorCode code)
    {
        for (var span = Activity.Current; span is not null; span = span.Parent)
        {
            if (span.Kind == ActivityKind.Server && span.Source == Source)
            {
                span.DisplayName = code.Name();
                span.SetTag(AnswerTag, code.Name());
                return;
            }
        }
    }

    /// <summary>The sandbox continues the trace under the ingress's upstream span; without one the client's context passes as it came.</summary>
    public static void Propagate(HttpRequestHeaders outgoing)
    {
        if (Activity.Current is not { } span || span.Source != Source)
        {
            return;
        }

        outgoing.Remove(TraceParent);
        outgoing.Remove(TraceState);
        outgoing.TryAddWithoutValidation(TraceParent, span.Id);
        if (span.TraceStateString is { Length: > 0 } traceState)
        {
            outgoing.TryAddWithoutValidation(TraceState, traceState);
        }
    }

    private const string AnswerTag = "opensandbox.answer";
}
