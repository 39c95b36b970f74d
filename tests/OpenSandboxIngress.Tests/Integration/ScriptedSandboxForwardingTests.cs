using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// Forwarding against a sandbox that sends exactly scripted bytes, with a client that sends raw bytes: connection
/// reuse, the framings a sandbox may choose, interim responses and trailers, broken responses, pipelining, and plain and chunked
/// requests mixed on one connection.
/// </summary>
public sealed class ScriptedSandboxForwardingTests
{
    private static Task<InProcessIngress> StartIngressAsync(ScriptedBackend backend, TimeSpan? clientIdle = null) =>
        InProcessIngress.StartAsync(
            configure: options => clientIdle is { } idle ? options with { Listen = options.Listen with { ClientIdleTimeout = idle } } : options,
            manifests: new Dictionary<string, string> { ["box.yaml"] = Manifests.BatchSandbox("box") });

    private static string Get(int backendPort, string path, string extraHeaders = "") =>
        $"GET {path} HTTP/1.1\r\nHost: ingress.test\r\n{IngressHeaders.IngressTo}: box-{backendPort}\r\n{extraHeaders}\r\n";

    private static string Ok(string body, string extraHeaders = "") =>
        $"HTTP/1.1 200 OK\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{extraHeaders}\r\n{body}";

    [Theory]
    [InlineData("nobody-{port}", 404)]
    [InlineData("box-0", 400)]
    [InlineData("cold-{port}", 503)]
    [InlineData("locked-{port}", 401)]
    [InlineData("box-{port}", 200)]
    public async Task HTTP_1_1_and_HTTP_1_0_get_the_same_answer(string routingKey, int status)
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok("from the sandbox")));
        await using var ingress = await InProcessIngress.StartAsync(manifests: new Dictionary<string, string>
        {
            ["boxes.yaml"] = string.Join("\n---\n", Manifests.BatchSandbox("box"), Manifests.BatchSandbox("cold", ready: 0),
                Manifests.BatchSandbox("locked", token: "t0ken")),
        });
        var key = routingKey.Replace("{port}", backend.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        using var fast = new RawHttp(ingress.BaseAddress.Port);
        await fast.SendAsync($"GET /x HTTP/1.1\r\nHost: h\r\n{IngressHeaders.IngressTo}: {key}\r\n\r\n");
        var fastAnswer = await fast.ReadResponseAsync();
        using var full = new RawHttp(ingress.BaseAddress.Port);
        await full.SendAsync($"GET /x HTTP/1.0\r\nHost: h\r\n{IngressHeaders.IngressTo}: {key}\r\n\r\n");
        var fullAnswer = await full.ReadUntilClosedAsync();

        Assert.StartsWith($"HTTP/1.1 {status} ", fastAnswer.Head);
        Assert.StartsWith($"HTTP/1.1 {status} ", fullAnswer);
        Assert.EndsWith("\r\n\r\n" + fastAnswer.Body, fullAnswer);
        if (status == 200)
        {
            Assert.Equal("from the sandbox", fastAnswer.Body);
        }
        else
        {
            Assert.StartsWith("OpenSandbox Ingress: ", fastAnswer.Body);
            Assert.Contains("Content-Type: text/plain; charset=utf-8\r\n", fastAnswer.Head);
        }
    }

    [Fact]
    public async Task Keep_alive_requests_share_one_sandbox_connection()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok("pong")));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync(Get(backend.Port, $"/ping/{i}"));
            var response = await client.ReadResponseAsync();
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", response.Head);
            Assert.Equal("pong", response.Body);
            Assert.Contains($"{IngressHeaders.PoweredBy}: {IngressHeaders.PoweredByValue}\r\n", response.Head);
        }

        Assert.Equal(20, backend.Requests.Count);
        Assert.Equal(1, backend.Connections);
    }

    [Fact]
    public async Task What_the_sandbox_receives_is_the_spec_rewrite_of_what_the_client_sent()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok("ok")));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync($"POST /submit?x=1 HTTP/1.1\r\nHost: public.example\r\n{IngressHeaders.IngressTo}: box-{backend.Port}\r\n"
            + $"{IngressHeaders.SecureAccess}: t\r\n{IngressHeaders.AccessRenew}: {IngressHeaders.AccessRenewSkip}\r\n"
            + $"{IngressHeaders.ForwardedFor}: 203.0.113.9\r\n{IngressHeaders.ForwardedProto}: https\r\n"
            + "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Custom: kept\r\nContent-Length: 5\r\n\r\nhello");
        Assert.Equal("ok", (await client.ReadResponseAsync()).Body);

        var seen = backend.Requests.Single();
        Assert.StartsWith("POST /submit?x=1 HTTP/1.1\r\n", seen);
        Assert.EndsWith("\r\n\r\nhello", seen);
        var headers = seen.Split("\r\n\r\n")[0].Split("\r\n").Skip(1).ToList();
        Assert.Contains($"Host: 127.0.0.1:{backend.Port}", headers);
        Assert.Contains("X-Custom: kept", headers);
        Assert.Contains("Content-Length: 5", headers);
        Assert.Contains($"{IngressHeaders.ForwardedFor}: 203.0.113.9, 127.0.0.1", headers);
        Assert.Contains($"{IngressHeaders.ForwardedProto}: http", headers);
        Assert.Contains($"{IngressHeaders.ForwardedHost}: public.example", headers);
        Assert.DoesNotContain(headers, h => h.StartsWith("OpenSandbox-", StringComparison.OrdinalIgnoreCase)
            || h.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) || h.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase)
            || h == $"{IngressHeaders.ForwardedProto}: https");
    }

    [Fact]
    public async Task Fields_named_by_Connection_stop_at_the_ingress_in_both_directions()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(
            Ok("ok", "Connection: X-Reply-Hop\r\nX-Reply-Hop: 1\r\nX-Reply-Kept: 1\r\n")));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        // Kestrel reduces a Connection value holding keep-alive, close or upgrade to that one token (README, Behaviour
        // decisions), so the fields here are named alone.
        await client.SendAsync(Get(backend.Port, "/", "Connection: X-Hop-Test, X-Hop-Two\r\nX-Hop-Test: 1\r\nX-Hop-Two: 2\r\nX-Kept: 1\r\n"));
        var response = await client.ReadResponseAsync();

        var forwarded = backend.Requests.Single().Split("\r\n\r\n")[0].Split("\r\n");
        Assert.Contains("X-Kept: 1", forwarded);
        Assert.DoesNotContain(forwarded, h => h.StartsWith("X-Hop-", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("\r\nX-Reply-Kept: 1\r\n", response.Head, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Reply-Hop", response.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("ok", response.Body);
    }

    [Fact]
    public async Task Several_X_Forwarded_For_lines_become_one_list_before_the_client_address()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok("ok")));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/", $"{IngressHeaders.ForwardedFor}: 10.0.0.1\r\n{IngressHeaders.ForwardedFor}: 10.0.0.2\r\n"));
        Assert.Equal("ok", (await client.ReadResponseAsync()).Body);

        var forwarded = backend.Requests.Single().Split("\r\n\r\n")[0].Split("\r\n");
        Assert.Equal($"{IngressHeaders.ForwardedFor}: 10.0.0.1, 10.0.0.2, 127.0.0.1",
            Assert.Single(forwarded, h => h.StartsWith(IngressHeaders.ForwardedFor + ":", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_connection_the_sandbox_closed_after_answering_is_replaced_without_failing_a_request()
    {
        // Closes after every answer without announcing it: the pooled connection is dead when the next request comes.
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok("once"), closeAfter: true));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync(Get(backend.Port, "/"));
            Assert.Equal("once", (await client.ReadResponseAsync()).Body);
        }

        Assert.Equal(5, backend.Connections);
    }

    [Fact]
    public async Task A_chunked_response_passes_through_without_its_trailers_and_the_connection_is_reused()
    {
        await using var backend = new ScriptedBackend(request => new ScriptedBackend.Reply(
        [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n",
            "6\r\n world\r\n",
            "0\r\nX-Trailer: t\r\n\r\n",
        ]));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(Get(backend.Port, "/stream"));
            var response = await client.ReadResponseAsync();
            Assert.Equal("hello world", response.Body);
            // Kestrel writes no trailers on HTTP/1.1, so YARP drops them (README, Behaviour decisions).
            Assert.DoesNotContain("X-Trailer", response.Trailers, StringComparison.Ordinal);
        }

        Assert.Equal(1, backend.Connections);
    }

    [Fact]
    public async Task A_body_ended_by_closing_reaches_the_client_chunked_on_a_connection_that_stays_open()
    {
        await using var backend = new ScriptedBackend(request => new ScriptedBackend.Reply(
            ["HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ", "second"], CloseAfter: true));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(Get(backend.Port, "/"));
            var response = await client.ReadResponseAsync();
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", response.Head);
            Assert.Contains("Transfer-Encoding: chunked\r\n", response.Head);
            Assert.Equal("first second", response.Body);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Early_hints_are_dropped_and_the_final_response_arrives(bool inOneWrite)
    {
        const string Hints = "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n";
        await using var backend = new ScriptedBackend(request => new ScriptedBackend.Reply(
            inOneWrite ? [Hints + Ok("final")] : [Hints, Ok("final")]));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/"));
        var final = await client.ReadResponseAsync();

        // HttpClient reads past 1xx responses other than 101 (README, Behaviour decisions).
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", final.Head);
        Assert.DoesNotContain("Link:", final.Head, StringComparison.Ordinal);
        Assert.Equal("final", final.Body);
    }

    [Fact]
    public async Task A_head_request_gets_the_length_but_no_body_and_the_connection_goes_on()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(request.StartsWith("HEAD", StringComparison.Ordinal)
            ? "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
            : Ok("after")));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/").Replace("GET", "HEAD", StringComparison.Ordinal));
        var head = await client.ReadResponseAsync(bodyless: true);
        await client.SendAsync(Get(backend.Port, "/"));
        var after = await client.ReadResponseAsync();

        Assert.Contains("Content-Length: 1000\r\n", head.Head);
        Assert.Equal("after", after.Body);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n")]
    public async Task A_malformed_or_ambiguous_response_head_is_answered_502(string reply)
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(reply));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/"));
        var response = await client.ReadResponseAsync();

        Assert.StartsWith("HTTP/1.1 502 ", response.Head);
        Assert.Equal("OpenSandbox Ingress: sandbox box is unreachable\n", response.Body);
    }

    [Fact]
    public async Task A_header_line_ended_by_a_bare_LF_reaches_the_client_as_a_well_formed_line()
    {
        // RFC 9112 §2.2 lets a recipient read a lone LF as a line end; the client must never see one.
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of("HTTP/1.1 200 OK\r\nX-Split: a\nX-Next: b\r\nContent-Length: 2\r\n\r\nok"));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/"));
        var response = await client.ReadResponseAsync();

        Assert.Equal("ok", response.Body);
        Assert.Contains("\r\nX-Split: a\r\n", response.Head, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Next: b\r\n", response.Head, StringComparison.Ordinal);
        Assert.DoesNotMatch("[^\r]\n", response.Head);
    }

    [Fact]
    public async Task A_large_response_head_passes_and_one_over_64_KiB_is_502()
    {
        var cookie = new string('c', 20 * 1024);
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(request.StartsWith("GET /huge", StringComparison.Ordinal)
            ? Ok("x", $"X-Huge: {new string('h', 70 * 1024)}\r\n")
            : Ok("big", $"Set-Cookie: a={cookie}\r\n")));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/large"));
        var large = await client.ReadResponseAsync();
        await client.SendAsync(Get(backend.Port, "/huge"));
        var huge = await client.ReadResponseAsync();

        Assert.Contains($"Set-Cookie: a={cookie}\r\n", large.Head);
        Assert.Equal("big", large.Body);
        Assert.StartsWith("HTTP/1.1 502 ", huge.Head);
    }

    [Fact]
    public async Task A_timeout_on_one_request_does_not_make_the_next_failure_on_the_connection_a_timeout()
    {
        // The sandbox never answers /slow; the second request goes to a port nobody listens on.
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(request.StartsWith("GET /slow", StringComparison.Ordinal) ? "" : Ok("-")));
        await using var ingress = await InProcessIngress.StartAsync(
            configure: options => options with { Upstream = options.Upstream with { ResponseTimeout = TimeSpan.FromSeconds(1) } },
            manifests: new Dictionary<string, string> { ["box.yaml"] = Manifests.BatchSandbox("box") });
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/slow"));
        var slow = await client.ReadResponseAsync();
        await client.SendAsync(Get(((IPEndPoint)closed.LocalEndPoint!).Port, "/next"));
        var refused = await client.ReadResponseAsync();

        Assert.StartsWith("HTTP/1.1 504 ", slow.Head);
        Assert.StartsWith("HTTP/1.1 502 ", refused.Head);
        Assert.Equal("OpenSandbox Ingress: sandbox box is unreachable\n", refused.Body);
    }

    [Fact]
    public async Task A_body_cut_short_by_the_sandbox_cuts_the_client_connection()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b", closeAfter: true));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/"));

        // The connection is cut: nothing is padded and the client is not left waiting for the 90 bytes. What arrived before
        // the cut is best effort: Kestrel aborts with a reset, which can overtake the head and the ten bytes still queued
        // for the socket (seen once in six CI runs), so the client gets either all of that or nothing.
        var received = await client.ReadUntilClosedAsync();
        if (received.Length > 0)
        {
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", received);
            Assert.EndsWith("only ten b", received);
        }
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok(request.Split(' ')[1])));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/first") + Get(backend.Port, "/second") + Get(backend.Port, "/third"));

        Assert.Equal("/first", (await client.ReadResponseAsync()).Body);
        Assert.Equal("/second", (await client.ReadResponseAsync()).Body);
        Assert.Equal("/third", (await client.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task A_chunked_upload_between_plain_requests_on_one_connection_is_streamed()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok(request.Split(' ')[1])));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/plain"));
        Assert.Equal("/plain", (await client.ReadResponseAsync()).Body);

        await client.SendAsync($"POST /upload HTTP/1.1\r\nHost: h\r\n{IngressHeaders.IngressTo}: box-{backend.Port}\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        var upload = await client.ReadResponseAsync();
        await client.SendAsync(Get(backend.Port, "/after"));
        var after = await client.ReadResponseAsync();

        Assert.Equal("/upload", upload.Body);
        var forwarded = backend.Requests.Single(request => request.StartsWith("POST /upload", StringComparison.Ordinal)).Split("\r\n\r\n", 2);
        Assert.Contains("\r\nTransfer-Encoding: chunked", forwarded[0], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("abcde", Dechunk(forwarded[1]));
        Assert.Equal("/after", after.Body);
        Assert.Equal(3, backend.Requests.Count);
    }

    [Fact]
    public async Task A_request_head_of_several_KiB_reaches_the_sandbox_intact()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok(request.Split(' ')[1])));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);
        var big = string.Concat(Enumerable.Range(0, 700).Select(i => (char)('a' + (i % 26)) + "bcdefghi"));

        await client.SendAsync(Get(backend.Port, "/big", $"X-Big: {big}\r\n"));
        var first = await client.ReadResponseAsync();
        await client.SendAsync(Get(backend.Port, "/next"));
        var next = await client.ReadResponseAsync();

        Assert.Equal("/big", first.Body);
        var forwarded = backend.Requests.Single(request => request.StartsWith("GET /big ", StringComparison.Ordinal));
        Assert.Contains($"\r\nX-Big: {big}\r\n", forwarded, StringComparison.Ordinal);
        Assert.Equal("/next", next.Body);
    }

    [Fact]
    public async Task A_client_asking_to_close_gets_connection_close_and_a_closed_connection()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok("bye")));
        await using var ingress = await StartIngressAsync(backend);
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/", "Connection: close\r\n"));
        var received = await client.ReadUntilClosedAsync();

        Assert.Contains("\r\nConnection: close\r\n", received);
        Assert.EndsWith("\r\n\r\nbye", received);
        Assert.DoesNotContain(backend.Requests, request => request.Contains("Connection:", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task An_idle_client_connection_is_closed_after_the_client_idle_timeout()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(Ok("ok")));
        await using var ingress = await StartIngressAsync(backend, clientIdle: TimeSpan.FromSeconds(1));
        using var client = new RawHttp(ingress.BaseAddress.Port);

        await client.SendAsync(Get(backend.Port, "/"));
        Assert.Equal("ok", (await client.ReadResponseAsync()).Body);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("", await client.ReadUntilClosedAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
    }

    private static string Dechunk(string body)
    {
        var data = new StringBuilder();
        for (var at = 0; ;)
        {
            var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return data.ToString();
            }

            data.Append(body, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
