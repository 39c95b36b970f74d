using System.Net;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// What browsers and programs see (SPEC §5, §7): Retry-After, CORS on the ingress's own answers only, the per-sandbox
/// limit, and URI-mode web apps kept under their prefix; through the in-process ingress to real backends.
/// </summary>
public sealed class ClientFacingAnswersTests
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    private static Dictionary<string, string> Sandboxes() => new()
    {
        ["s.yaml"] = string.Join("\n---\n", Manifests.BatchSandbox("app"), Manifests.BatchSandbox("cold", ready: 0)),
    };

    private static HttpRequestMessage To(InProcessIngress ingress, string routingKey, string path = "/", HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, new Uri(ingress.BaseAddress, path));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);
        return request;
    }

    [Fact]
    public async Task A_sandbox_that_may_become_ready_gets_Retry_After()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var ingress = await InProcessIngress.StartAsync(manifests: Sandboxes());

        using var response = await Client.SendAsync(To(ingress, $"cold-{backend.Port}"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task The_page_for_people_escapes_what_the_request_said_and_refreshes_only_when_waiting_helps()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var ingress = await InProcessIngress.StartAsync(manifests: Sandboxes());
        var hostile = To(ingress, "x\"><img src=x onerror=alert(1)>-8000");
        hostile.Headers.TryAddWithoutValidation("Accept", "text/html");
        var cold = To(ingress, $"cold-{backend.Port}");
        cold.Headers.TryAddWithoutValidation("Accept", "text/html");

        using var notFound = await Client.SendAsync(hostile, TestContext.Current.CancellationToken);
        using var notReady = await Client.SendAsync(cold, TestContext.Current.CancellationToken);
        var notFoundPage = await notFound.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var notReadyPage = await notReady.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal("text/html; charset=utf-8", notFound.Content.Headers.ContentType!.ToString());
        Assert.DoesNotContain("<img", notFoundPage, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", notFoundPage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;", notFoundPage, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv=\"refresh\"", notFoundPage, StringComparison.Ordinal);
        Assert.Contains("<meta http-equiv=\"refresh\" content=\"5\">", notReadyPage, StringComparison.Ordinal);
        Assert.True(notReadyPage.Length < 4096, $"{notReadyPage.Length} bytes");
    }

    [Fact]
    public async Task Only_the_ingress_own_answers_carry_the_CORS_origin()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var ingress = await InProcessIngress.StartAsync(manifests: Sandboxes());
        var own = To(ingress, $"nobody-{backend.Port}");
        own.Headers.TryAddWithoutValidation("Origin", "https://notebook.example");
        var proxied = To(ingress, $"app-{backend.Port}");
        proxied.Headers.TryAddWithoutValidation("Origin", "https://notebook.example");
        var preflight = To(ingress, $"app-{backend.Port}", "/api", HttpMethod.Options);
        preflight.Headers.TryAddWithoutValidation("Origin", "https://notebook.example");
        preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "PUT");

        using var ownResponse = await Client.SendAsync(own, TestContext.Current.CancellationToken);
        using var proxiedResponse = await Client.SendAsync(proxied, TestContext.Current.CancellationToken);
        using var preflightResponse = await Client.SendAsync(preflight, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, ownResponse.StatusCode);
        Assert.Equal("https://notebook.example", Assert.Single(ownResponse.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("Origin", ownResponse.Headers.Vary);
        Assert.Equal(HttpStatusCode.OK, proxiedResponse.StatusCode);
        Assert.False(proxiedResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal("PUT", backend.Requests.Single(r => r.Method == "OPTIONS").Header("Access-Control-Request-Method"));
    }

    [Fact]
    public async Task Beyond_the_per_sandbox_limit_requests_get_429_and_never_reach_the_sandbox()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var ingress = await InProcessIngress.StartAsync(configure: o => o with { Limits = o.Limits with { MaxRequestsPerSandbox = 2 } }, manifests: Sandboxes());

        var held = Enumerable.Range(0, 2).Select(_ => Client.SendAsync(To(ingress, $"app-{backend.Port}", "/slow?ms=1500"))).ToList();
        await Eventually.WaitAsync(() => Task.FromResult(backend.Requests.Count), n => n == 2, TimeSpan.FromSeconds(5), "two held requests");
        using var refused = await Client.SendAsync(To(ingress, $"app-{backend.Port}", "/slow?ms=1500"), TestContext.Current.CancellationToken);
        var seenWhileFull = backend.Requests.Count;
        foreach (var response in await Task.WhenAll(held))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        using var after = await Client.SendAsync(To(ingress, $"app-{backend.Port}", "/"), TestContext.Current.CancellationToken);

        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(2, seenWhileFull);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    /// <summary>A web app that knows nothing of the prefix: it redirects to absolute paths and its own address.</summary>
    private static ScriptedBackend PrefixUnawareApp(Func<int> ownPort) => new(request =>
    {
        var target = request.Split(' ')[1];
        return ScriptedBackend.Reply.Of(target switch
        {
            "/" => "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n\r\n",
            "/login" => $"HTTP/1.1 303 See Other\r\nLocation: http://127.0.0.1:{ownPort()}/home?from=login\r\nContent-Length: 0\r\n\r\n",
            _ => "HTTP/1.1 200 OK\r\nSet-Cookie: sid=1; Path=/; HttpOnly\r\nSet-Cookie: pref=2; path=/settings\r\nRefresh: 30; url=/home\r\n"
                 + "Location: https://elsewhere.example/x\r\nContent-Length: 4\r\n\r\nhome",
        });
    });

    [Fact]
    public async Task In_uri_mode_a_redirect_chain_stays_under_the_prefix_and_cookies_are_placed_under_it()
    {
        ScriptedBackend? app = null;
        await using var backend = app = PrefixUnawareApp(() => app!.Port);
        await using var ingress = await InProcessIngress.StartAsync(RoutingMode.Uri, manifests: Sandboxes());
        var prefix = $"/app/{backend.Port}";

        using var first = await Client.GetAsync(new Uri(ingress.BaseAddress, prefix + "/"), TestContext.Current.CancellationToken);
        using var second = await Client.GetAsync(new Uri(ingress.BaseAddress, first.Headers.Location!.OriginalString), TestContext.Current.CancellationToken);
        using var last = await Client.GetAsync(second.Headers.Location!, TestContext.Current.CancellationToken);

        Assert.Equal(prefix + "/login", first.Headers.Location!.OriginalString);
        Assert.Equal($"http://127.0.0.1:{ingress.BaseAddress.Port}{prefix}/home?from=login", second.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        Assert.Equal([$"sid=1; Path={prefix}; HttpOnly", $"pref=2; path={prefix}/settings"], last.Headers.GetValues("Set-Cookie"));
        Assert.Equal($"30; url={prefix}/home", last.Headers.GetValues("Refresh").Single());
        Assert.Equal("https://elsewhere.example/x", last.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task In_uri_mode_a_hostile_cookie_path_never_leaves_the_prefix()
    {
        await using var backend = new ScriptedBackend(request => ScriptedBackend.Reply.Of(request.Split(' ')[1] switch
        {
            "/hostile" => "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/; Path=/\r\nSet-Cookie: b=2; Path =/\r\n"
                          + "Set-Cookie: c=3; PATH = nowhere ; HttpOnly\r\nContent-Length: 0\r\n\r\n",
            _ => "HTTP/1.1 200 OK\r\nSet-Cookie: d=4\r\nContent-Length: 0\r\n\r\n",
        }));
        await using var ingress = await InProcessIngress.StartAsync(RoutingMode.Uri, manifests: Sandboxes());
        var prefix = $"/app/{backend.Port}";

        using var hostile = await Client.GetAsync(new Uri(ingress.BaseAddress, prefix + "/hostile"), TestContext.Current.CancellationToken);
        using var bare = await Client.GetAsync(new Uri(ingress.BaseAddress, prefix), TestContext.Current.CancellationToken);
        using var underPrefix = await Client.GetAsync(new Uri(ingress.BaseAddress, prefix + "/"), TestContext.Current.CancellationToken);

        Assert.Equal(
            [$"a=1; Path={prefix}; Path={prefix}", $"b=2; Path ={prefix}", $"c=3; PATH = {prefix} ; HttpOnly"],
            hostile.Headers.GetValues("Set-Cookie"));
        Assert.Equal($"d=4; Path={prefix}", Assert.Single(bare.Headers.GetValues("Set-Cookie")));
        Assert.Equal("d=4", Assert.Single(underPrefix.Headers.GetValues("Set-Cookie")));
    }

    [Fact]
    public async Task In_uri_mode_with_the_rewrite_off_and_in_header_mode_responses_are_unchanged()
    {
        ScriptedBackend? app = null;
        await using var backend = app = PrefixUnawareApp(() => app!.Port);
        await using var uriOff = await InProcessIngress.StartAsync(RoutingMode.Uri, o => o with { Routing = o.Routing with { UriRewrite = false } }, Sandboxes());
        await using var header = await InProcessIngress.StartAsync(RoutingMode.Header, manifests: Sandboxes());

        using var viaUri = await Client.GetAsync(new Uri(uriOff.BaseAddress, $"/app/{backend.Port}/"), TestContext.Current.CancellationToken);
        using var viaHeader = await Client.SendAsync(To(header, $"app-{backend.Port}"), TestContext.Current.CancellationToken);
        using var cookieViaHeader = await Client.SendAsync(To(header, $"app-{backend.Port}", "/home"), TestContext.Current.CancellationToken);

        Assert.Equal("/login", viaUri.Headers.Location!.OriginalString);
        Assert.Equal("/login", viaHeader.Headers.Location!.OriginalString);
        Assert.Equal(["sid=1; Path=/; HttpOnly", "pref=2; path=/settings"], cookieViaHeader.Headers.GetValues("Set-Cookie"));
    }
}
