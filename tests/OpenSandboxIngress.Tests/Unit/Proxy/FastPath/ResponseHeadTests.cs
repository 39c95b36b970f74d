using System.Buffers;
using System.Text;
using OpenSandbox.Ingress.Proxy.FastPath;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.FastPath;

/// <summary>Sandboxes are untrusted: their response heads decide framing, and anything ambiguous must be refused.</summary>
public sealed class ResponseHeadTests
{
    private static (ResponseHead.Outcome Outcome, ResponseHead Head) Parse(string text, bool requestWasHead = false)
    {
        var head = new ResponseHead();
        var bytes = Encoding.Latin1.GetBytes(text);
        return (head.TryParse(bytes, bytes.Length, requestWasHead), head);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, "ContentLength", true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, "Chunked", true)]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", false, "UntilClose", false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, "None", true)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", false, "None", true)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false, "None", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", false, "ContentLength", false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", false, "ContentLength", false)]
    [InlineData("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, "ContentLength", true)]
    public void Framing_and_reuse_follow_the_head(string text, bool requestWasHead, string framing, bool reusable)
    {
        var (outcome, head) = Parse(text, requestWasHead);

        Assert.Equal(ResponseHead.Outcome.Complete, outcome);
        Assert.Equal(text.Length, head.Length);
        Assert.Equal(framing, head.Framing.ToString());
        Assert.Equal(reusable, head.Reusable);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n")]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Bare: a\nInjected: b\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n")]
    public void Ambiguous_or_malformed_heads_are_refused(string text)
    {
        Assert.Equal(ResponseHead.Outcome.Invalid, Parse(text).Outcome);
    }

    [Fact]
    public void An_unfinished_head_asks_for_more()
    {
        Assert.Equal(ResponseHead.Outcome.Incomplete, Parse("HTTP/1.1 200 OK\r\nContent-Len").Outcome);
    }

    [Fact]
    public void Interim_responses_are_recognised()
    {
        var (outcome, head) = Parse("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n");

        Assert.Equal(ResponseHead.Outcome.Complete, outcome);
        Assert.True(head.IsInterim);
        Assert.Equal(BodyFraming.None, head.Framing);
    }

    [Fact]
    public void The_client_gets_hop_by_hop_headers_removed_and_the_ingress_mark()
    {
        var (_, head) = Parse("HTTP/1.0 200 Fine\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\n"
            + "Reverse-Proxy-Server-PowerBy: spoofed\r\nX-Kept: yes\r\n\r\n");
        var output = new ArrayBufferWriter<byte>();

        head.WriteForClient(output, closeClient: true);

        Assert.Equal("HTTP/1.1 200 Fine\r\nX-Kept: yes\r\nReverse-Proxy-Server-PowerBy: OpenSandbox-ingress\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }
}
