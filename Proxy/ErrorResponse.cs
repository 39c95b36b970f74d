using System.Text;
using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Every answer the ingress gives itself: <c>text/plain</c>, one line, <c>OpenSandbox Ingress: reason</c> (SPEC §5).
/// The status endpoint returns it as a result; the proxy writes it directly.
/// </summary>
internal sealed class ErrorResponse(int statusCode, string reason) : IResult
{
    public const string ContentType = "text/plain; charset=utf-8";
    private const string Prefix = "OpenSandbox Ingress: ";
    private const int MaxReasonLength = 512;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, statusCode, reason);

    public static Task WriteAsync(HttpContext context, int statusCode, string reason)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        response.StatusCode = statusCode;
        response.ContentType = ContentType;
        var body = Encoding.UTF8.GetBytes(Prefix + OneLine(reason) + "\n");
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>Reasons may quote client input: keep them one short line of printable characters.</summary>
    private static string OneLine(string reason)
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
