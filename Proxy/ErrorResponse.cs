using System.Text;
using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>The ingress's own answers: <c>text/plain</c>, one line, <c>OpenSandbox Ingress: reason</c> (SPEC §5).</summary>
internal static class ErrorResponse
{
    private const string Prefix = "OpenSandbox Ingress: ";
    private const int MaxReasonLength = 512;

    public static Task WriteAsync(HttpContext context, int statusCode, string reason)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        response.StatusCode = statusCode;
        response.ContentType = ContentType;
        var body = Body(reason);
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    public const string ContentType = "text/plain; charset=utf-8";

    /// <summary>The response body for a reason; the fast path writes it too.</summary>
    public static byte[] Body(string reason) => Encoding.UTF8.GetBytes(Prefix + OneLine(reason) + "\n");

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
