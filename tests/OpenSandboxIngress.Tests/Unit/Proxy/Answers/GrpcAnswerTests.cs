using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.Answers;

/// <summary>The ingress's own answers to gRPC calls (SPEC §14), on a bare <c>DefaultHttpContext</c>.</summary>
public sealed class GrpcAnswerTests
{
    private static StageContext Call(string protocol = "HTTP/2", string contentType = "application/grpc+proto")
    {
        var context = new StageContext("/opensandbox.tests.SandboxEcho/Echo", method: "POST");
        context.Http.Request.Protocol = protocol;
        context.Http.Request.ContentType = contentType;
        return context;
    }

    [Theory]
    [InlineData("HTTP/2", "application/grpc", true)]
    [InlineData("HTTP/2", "application/grpc+proto", true)]
    [InlineData("HTTP/2", "application/grpc-web", false)]
    [InlineData("HTTP/1.1", "application/grpc", false)]
    [InlineData("HTTP/2", "application/json", false)]
    public void Only_HTTP_2_calls_with_a_gRPC_content_type_are_gRPC(string protocol, string contentType, bool grpc) =>
        Assert.Equal(grpc, GrpcAnswer.IsGrpc(Call(protocol, contentType).Http.Request));

    [Theory]
    [InlineData("RouteInvalid", 3)]
    [InlineData("AccessDenied", 16)]
    [InlineData("SandboxNotFound", 5)]
    [InlineData("TooManyRequests", 8)]
    [InlineData("SandboxNotReady", 14)]
    [InlineData("SandboxUnreachable", 14)]
    [InlineData("WakeFailed", 14)]
    [InlineData("CacheNotSynced", 14)]
    [InlineData("Draining", 14)]
    [InlineData("SandboxTimeout", 4)]
    public async Task Each_answer_is_a_trailers_only_response_with_its_status_and_reason(string code, int grpcStatus)
    {
        var context = Call();

        await new ErrorResponse(Enum.Parse<ErrorCode>(code), "sandbox box: 50% there, ready: 0/1 ✗", "box", 8080).WriteAsync(context.Http);

        Assert.Equal(StatusCodes.Status200OK, context.Status);
        Assert.Equal("application/grpc", context.Http.Response.ContentType);
        Assert.Equal(grpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture), context.Http.Response.Headers["grpc-status"].ToString());
        Assert.Equal("sandbox box: 50%25 there, ready: 0/1 %E2%9C%97", context.Http.Response.Headers["grpc-message"].ToString());
        Assert.Equal(0, context.Body.Length);
    }
}
