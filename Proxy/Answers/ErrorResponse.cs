using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Tracing;

namespace OpenSandbox.Ingress.Proxy.Answers;

/// <summary>
/// Every answer the ingress gives itself (SPEC §5), in the form the client asks for: one plain-text line
/// (<c>OpenSandbox Ingress: reason</c>, what curl and the Go ingress's clients read), JSON with a stable code for
/// programs, or a small page for people. Answers that will change by themselves carry <c>Retry-After</c>; a request
/// with an <c>Origin</c> gets it back in <c>Access-Control-Allow-Origin</c>, so browser code can read why.
/// </summary>
/// <param name="Reason">One line for people and logs; may quote client input, never a secret.</param>
/// <param name="SandboxId">The sandbox, once the route has been read.</param>
internal sealed record ErrorResponse(ErrorCode Code, string Reason, string? SandboxId = null, int? Port = null) : IResult
{
    public const string PlainTextContentType = "text/plain; charset=utf-8";
    private const string Prefix = "OpenSandbox Ingress: ";
    private const int MaxReasonLength = 512;

    public int Status => Code.Status();

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext);

    public Task WriteAsync(HttpContext context)
    {
        // 1. A response that has started (a body was streaming) cannot become an answer: the connection is cut instead.
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        // 2. The request's span is named after the answer; a gRPC call gets it as a gRPC status.
        IngressTracing.Answered(Code);
        if (GrpcAnswer.IsGrpc(context.Request))
        {
            return GrpcAnswer.WriteAsync(context, Code, OneLine(Reason));
        }

        // 3. Status and the headers every form shares.
        response.StatusCode = Status;
        var headers = response.Headers;
        if (Code.RetryAfterSeconds() is { } retryAfter)
        {
            headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        var origin = context.Request.Headers.Origin;
        if (origin.Count == 1)
        {
            headers.AccessControlAllowOrigin = origin;
            headers.Vary = "Origin";
        }

        // 4. The body, in the form Accept prefers.
        var request = context.Request;
        var (contentType, body) = ErrorFormats.Negotiate(request.Headers.Accept) switch
        {
            ErrorFormat.Json => ("application/json; charset=utf-8",
                JsonSerializer.SerializeToUtf8Bytes(new ErrorJson(Code.Name(), OneLine(Reason), SandboxId, Port), ErrorJsonContext.Default.ErrorJson)),
            ErrorFormat.Html => ("text/html; charset=utf-8", Encoding.UTF8.GetBytes(ErrorPage.Render(this))),
            _ => (PlainTextContentType, Encoding.UTF8.GetBytes(Prefix + OneLine(Reason) + "\n")),
        };
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>Reasons may quote client input: one short line of printable characters in every form.</summary>
    public static string OneLine(string reason)
    {
        var text = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] + "…" : reason;
        return text.AsSpan().ContainsAnyInRange('\0', '\u001f') ? string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        }) : text;
    }
}
