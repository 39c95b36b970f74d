using System.Text;
using CsCheck;
using OpenSandbox.Ingress.Proxy.FastPath;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.FastPath;

/// <summary>The fast path takes only plain requests; everything else must be left to Kestrel, never half-parsed.</summary>
public sealed class RequestHeadTests
{
    private const string Plain = "GET /a/b?x=1 HTTP/1.1\r\nHost: in.example\r\nOpenSandbox-Ingress-To: box-8080\r\nAccept: */*\r\n\r\n";

    private static (bool Parsed, RequestHead Head) Parse(string text)
    {
        var head = new RequestHead();
        return (head.TryParse(Encoding.Latin1.GetBytes(text)), head);
    }

    [Fact]
    public void A_plain_request_is_read_with_its_length_and_fields()
    {
        var (parsed, head) = Parse(Plain + "NEXT REQUEST");

        Assert.True(parsed);
        Assert.Equal(Plain.Length, head.Length);
        Assert.Equal("GET", head.Method);
        Assert.Equal("/a/b?x=1", head.Target);
        Assert.Equal("/a/b", head.Path);
        Assert.Equal(0, head.ContentLength);
        Assert.False(head.WantsClose);
        Assert.Equal("box-8080", head.Values("opensandbox-ingress-to").ToString());
    }

    [Fact]
    public void Body_length_close_and_repeated_headers_are_read()
    {
        var (parsed, head) = Parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nConnection: close\r\nX-A: 1\r\nx-a: 2\r\n\r\n");

        Assert.True(parsed);
        Assert.Equal(12, head.ContentLength);
        Assert.True(head.WantsClose);
        Assert.Equal(["1", "2"], head.Values("X-A").ToArray());
    }

    [Theory]
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\n")] // incomplete
    [InlineData("GET /a HTTP/1.0\r\nHost: h\r\n\r\n")]
    [InlineData("get /a HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("TRACE / HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET http://h/a HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET * HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a/../b HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a/./b HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /.. HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a#f HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")] // no Host
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nProxy-Authorization: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nBad Name: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-Nul: a\u0000b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-Latin: caf\u00e9\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\nHost: h\n\n")]
    public void Anything_but_a_plain_request_is_left_to_kestrel(string request)
    {
        Assert.False(Parse(request).Parsed);
    }

    [Fact]
    public void More_than_a_hundred_headers_are_left_to_kestrel()
    {
        var many = string.Concat(Enumerable.Range(0, 100).Select(i => $"X-{i}: v\r\n"));

        Assert.False(Parse($"GET / HTTP/1.1\r\nHost: h\r\n{many}\r\n").Parsed);
        Assert.True(Parse($"GET / HTTP/1.1\r\n{many[..^"X-99: v\r\n".Length]}Host: h\r\n\r\n").Parsed);
    }

    [Fact]
    public void Random_bytes_and_mutated_requests_never_throw() =>
        Gen.OneOf(
                Gen.Byte.Array[0, 300],
                Gen.Select(Gen.Int[0, Plain.Length - 1], Gen.Byte).Select((at, value) =>
                {
                    var bytes = Encoding.ASCII.GetBytes(Plain);
                    bytes[at] = value;
                    return bytes;
                }))
            .Sample(bytes =>
            {
                var head = new RequestHead();
                if (head.TryParse(bytes))
                {
                    Assert.InRange(head.Length, 1, bytes.Length);
                    Assert.True(RequestHead.IsPlainTarget(Encoding.ASCII.GetBytes(head.Target)));
                }
            }, iter: 10_000);
}
