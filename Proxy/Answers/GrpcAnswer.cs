using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Proxy.Answers;

/// <summary>
/// The ingress's own answer to a gRPC call (SPEC §14): a trailers-only response, status 200 with
/// <c>content-type: application/grpc</c> and the outcome in <c>grpc-status</c> and <c>grpc-message</c>, which gRPC
/// clients read as a status they can act on (a plain 502 is a protocol error to them).
/// </summary>
internal static class GrpcAnswer
{
    public const string ContentType = "application/grpc";

    /// <summary>A gRPC call: HTTP/2 (or 3) with a gRPC content type; gRPC-Web travels over HTTP/1.1 as any other request.</summary>
    public static bool IsGrpc(HttpRequest request) =>
        !HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol)
        && request.ContentType is { } type && type.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
        && !type.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase);

    /// <summary>The gRPC status code the answer's HTTP status stands for.</summary>
    public static int Status(ErrorCode code) => code.Status() switch
    {
        StatusCodes.Status400BadRequest => 3, // INVALID_ARGUMENT
        StatusCodes.Status401Unauthorized => 16, // UNAUTHENTICATED
        StatusCodes.Status404NotFound => 5, // NOT_FOUND
        StatusCodes.Status405MethodNotAllowed => 12, // UNIMPLEMENTED
        StatusCodes.Status429TooManyRequests => 8, // RESOURCE_EXHAUSTED
        StatusCodes.Status504GatewayTimeout => 4, // DEADLINE_EXCEEDED
        _ => 14, // UNAVAILABLE: not ready, unreachable, wake failed, cache not synced, draining
    };

    public static Task WriteAsync(HttpContext context, ErrorCode code, string reason)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers["grpc-status"] = Status(code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(reason);
        return Task.CompletedTask;
    }

    /// <summary>grpc-message is percent-encoded: every byte outside printable ASCII, and '%' itself.</summary>
    private static string PercentEncode(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var encoded = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
