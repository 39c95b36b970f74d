using System.Diagnostics;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.Browser;
using PuppeteerSharp;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// Web apps in a real browser (Debian's chromium through PuppeteerSharp) through the ingress: an app with Jupyter's
/// origin rule in header mode, an app under its base path in URI mode with the prefix kept, browser sessions in both
/// modes, and the root-level requests every page makes. Screenshots of each flow go to <see cref="SystemChromium.Screens"/>.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class BrowserTests
{
    private const string Token = "notebook-token-1";
    private const string KeysFlag = "a=c2Vzc2lvbi1zaWduaW5nLWtleQ==";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private const string PostScript = "async url => (await fetch(url, { method: 'POST', body: '{}', credentials: 'include' })).status";

    private const string WebSocketScript = """
        url => new Promise(resolve => {
          const socket = new WebSocket(url);
          socket.onopen = () => socket.send('ping');
          socket.onmessage = e => { resolve('echo:' + e.data); socket.close(); };
          socket.onerror = () => resolve('error');
        })
        """;

    [Fact]
    public async Task Over_the_TLS_port_the_page_arrives_over_HTTP_2_and_its_WebSocket_reaches_the_sandbox()
    {
        await using var notebook = await NotebookApp.StartAsync();
        using var certificates = new TestCertificates();
        certificates.Issue("ingress");
        await using var ingress = await InProcessIngress.StartAsync(
            configure: o => o with { Listen = o.Listen with { TlsPort = FreePort.Next(), TlsCertFile = certificates.CertFile, TlsKeyFile = certificates.KeyFile } },
            manifests: new Dictionary<string, string> { ["nb.yaml"] = Manifests.BatchSandbox("nb") });
        // The test's own CA is not in the browser's store.
        await using var browser = await SystemChromium.LaunchAsync("--ignore-certificate-errors");
        var page = await browser.NewPageAsync();
        var origin = $"https://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.TlsAddress!.Port}";

        var response = await page.GoToAsync(origin + "/");

        Assert.Equal(200, (int)response.Status);
        Assert.Equal("h2", await page.EvaluateExpressionAsync<string>("performance.getEntriesByType('navigation')[0].nextHopProtocol"));
        await page.WaitForFunctionAsync("() => document.getElementById('state').textContent.startsWith('script loaded')");
        Assert.Equal(201, await page.EvaluateFunctionAsync<int>(PostScript, "/api/contents"));
        Assert.Equal("echo:ping", await page.EvaluateFunctionAsync<string>(WebSocketScript, $"wss://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.TlsAddress.Port}/api/ws"));
        Assert.Equal(0, notebook.Refused);
        await SystemChromium.ScreenshotAsync(page, "9-tls-http2-websocket");
    }

    [Fact]
    public async Task Header_mode_same_origin_fetch_post_and_websocket_pass_an_origin_checking_app_while_another_origin_is_refused()
    {
        await using var notebook = await NotebookApp.StartAsync();
        await using var other = await NotebookApp.StartAsync();
        await using var ingress = await InProcessIngress.StartAsync(manifests: new Dictionary<string, string>
        {
            ["nb.yaml"] = Manifests.BatchSandbox("nb"),
            ["other.yaml"] = Manifests.BatchSandbox("other"),
        });
        await using var browser = await SystemChromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        var origin = $"http://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}";

        var response = await page.GoToAsync(origin + "/");
        Assert.Equal(200, (int)response.Status);
        await page.WaitForFunctionAsync("() => document.getElementById('state').textContent.startsWith('script loaded')");
        Assert.Equal(201, await page.EvaluateFunctionAsync<int>(PostScript, "/api/contents"));
        Assert.Equal("echo:ping", await page.EvaluateFunctionAsync<string>(WebSocketScript, $"ws://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}/api/ws"));
        Assert.Equal(0, notebook.Refused);
        await page.EvaluateExpressionAsync("document.getElementById('result').textContent = 'POST 201, WebSocket echo: same origin accepted'");
        await SystemChromium.ScreenshotAsync(page, "1-header-mode-same-origin");

        // A page of another sandbox (another origin) still looks cross-origin to the app: its WebSocket and POST are refused.
        await page.GoToAsync($"http://other-{other.Port}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}/");
        Assert.Equal("error", await page.EvaluateFunctionAsync<string>(WebSocketScript, $"ws://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}/api/ws"));
        await page.EvaluateFunctionAsync("url => fetch(url, { method: 'POST', body: '{}', mode: 'no-cors' })", origin + "/api/contents");
        await Eventually.WaitAsync(() => Task.FromResult(notebook.Refused), refused => refused >= 2, Deadline, "the app refusing the other origin's WebSocket and POST");
        Assert.All(notebook.Requests.Where(r => r.Header("Origin")?.Contains("other-", StringComparison.Ordinal) == true),
            r => Assert.StartsWith("http://other-", r.Header("Origin"), StringComparison.Ordinal));
        await page.EvaluateExpressionAsync("document.getElementById('result').textContent = 'from another origin: WebSocket and POST to nb refused'");
        await SystemChromium.ScreenshotAsync(page, "2-header-mode-other-origin-refused");
    }

    [Fact]
    public async Task Header_mode_without_the_origin_rewrite_the_same_origin_post_is_refused_as_jupyter_refuses_it()
    {
        await using var notebook = await NotebookApp.StartAsync();
        await using var ingress = await InProcessIngress.StartAsync(
            configure: o => o with { Routing = o.Routing with { OriginRewrite = false } },
            manifests: new Dictionary<string, string> { ["nb.yaml"] = Manifests.BatchSandbox("nb") });
        await using var browser = await SystemChromium.LaunchAsync();
        var page = await browser.NewPageAsync();

        await page.GoToAsync($"http://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}/");
        Assert.Equal(403, await page.EvaluateFunctionAsync<int>(PostScript, "/api/contents"));
    }

    [Fact]
    public async Task Uri_mode_with_the_prefix_kept_an_app_under_its_base_path_loads_every_asset()
    {
        await using var notebook = await NotebookApp.StartAsync(port => $"/nb/{port}/");
        await using var ingress = await InProcessIngress.StartAsync(RoutingMode.Uri,
            configure: o => o with { Routing = o.Routing with { KeepUriPrefix = true } },
            manifests: new Dictionary<string, string> { ["nb.yaml"] = Manifests.BatchSandbox("nb") });
        await using var browser = await SystemChromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        var errors = CollectConsoleErrors(page);
        var statuses = new List<(string Url, int Status)>();
        page.Response += (_, e) =>
        {
            lock (statuses)
            {
                statuses.Add((e.Response.Url, (int)e.Response.Status));
            }
        };

        var basePath = $"/nb/{notebook.Port}/";
        await page.GoToAsync($"http://127.0.0.1:{ingress.BaseAddress.Port}{basePath}", WaitUntilNavigation.Networkidle0);
        await page.WaitForFunctionAsync("() => document.getElementById('state').textContent.startsWith('script loaded')");
        Assert.True(await page.EvaluateExpressionAsync<bool>("document.getElementById('logo').naturalWidth > 0"));
        lock (statuses)
        {
            // The page and its three assets, each by its absolute URL under the base path.
            Assert.Equal(4, statuses.Count(s => s.Url.Contains(basePath, StringComparison.Ordinal)));
            // Anything else is the browser's /favicon.ico, the ingress's quiet root-level answer.
            Assert.All(statuses, s => Assert.Equal(s.Url.EndsWith("/favicon.ico", StringComparison.Ordinal) ? 204 : 200, s.Status));
        }

        Assert.Equal(201, await page.EvaluateFunctionAsync<int>(PostScript, basePath + "api/contents"));
        Assert.Equal("echo:ping", await page.EvaluateFunctionAsync<string>(WebSocketScript, $"ws://127.0.0.1:{ingress.BaseAddress.Port}{basePath}api/ws"));

        Assert.All(notebook.Requests, r => Assert.StartsWith(basePath, r.RawTarget, StringComparison.Ordinal));
        await page.EvaluateExpressionAsync("document.getElementById('result').textContent = 'all assets 200, POST 201, WebSocket echo'");
        await SystemChromium.ScreenshotAsync(page, "3-uri-mode-keep-base-path");
        lock (errors)
        {
            Assert.Empty(errors);
        }
    }

    [Fact]
    public async Task A_favicon_answered_404_is_a_console_error_in_chromium_and_the_root_answer_of_uri_mode_is_not()
    {
        var metricsPort = FreePort.Next();
        await using var notebook = await NotebookApp.StartAsync(port => $"/nb/{port}/");
        await using var ingress = await InProcessIngress.StartAsync(RoutingMode.Uri,
            configure: o => o with { Routing = o.Routing with { KeepUriPrefix = true }, Listen = o.Listen with { MetricsPort = metricsPort } },
            manifests: new Dictionary<string, string> { ["nb.yaml"] = Manifests.BatchSandbox("nb") });
        await using var browser = await SystemChromium.LaunchAsync();
        var basePath = $"/nb/{notebook.Port}/";

        // The app itself answers its root /favicon.ico 404, as most apps do: Chromium reports that on the console.
        var direct = await browser.NewPageAsync();
        var directErrors = CollectConsoleErrors(direct);
        await direct.GoToAsync($"http://127.0.0.1:{notebook.Port}{basePath}");
        await Eventually.WaitAsync(() => Task.FromResult(Count(directErrors)), n => n > 0, Deadline, "a console error for a 404 favicon");

        // Through the ingress the same page's favicon is the ingress's root-level answer: once the ingress has answered the
        // page, its three assets and the favicon (five 2xx), a round trip later the console is still clean.
        var page = await browser.NewPageAsync();
        var errors = CollectConsoleErrors(page);
        await page.GoToAsync($"http://127.0.0.1:{ingress.BaseAddress.Port}{basePath}");
        await Eventually.WaitAsync(() => MetricsScrape.ValueAsync(ingress.MetricsAddress!, "opensandbox_ingress_requests_total", "status_class=\"2xx\""),
            n => n >= 5, Deadline, "the ingress answering the page, its assets and the favicon");
        Assert.Equal(204, await page.EvaluateExpressionAsync<int>("fetch('/favicon.ico').then(r => r.status)"));
        await SystemChromium.ScreenshotAsync(page, "8-uri-mode-favicon-quiet");
        Assert.Equal(0, Count(errors));
    }

    [Fact]
    public async Task Header_mode_browser_session_from_a_token_and_from_a_signed_host_ends_on_a_clean_url_and_a_revoked_session_gets_the_401_page()
    {
        await using var notebook = await NotebookApp.StartAsync();
        await using var ingress = await StartSessionIngressAsync(RoutingMode.Header, notebook.Port);
        await using var browser = await SystemChromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        var clean = $"http://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}/";

        var response = await page.GoToAsync(clean + "?opensandbox-access=" + Token);
        Assert.Equal(200, (int)response.Status);
        Assert.Equal(clean, page.Url);
        await AssertAppWorksWithCookieAsync(page, notebook, "/", $"ws://nb-{notebook.Port}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}/api/ws");
        await SystemChromium.ScreenshotAsync(page, "4-header-mode-session-clean-url");

        // A signed host route lands on the unsigned host, which has its own cookie by then.
        var signedContext = await browser.CreateBrowserContextAsync();
        var signedPage = await signedContext.NewPageAsync();
        var (expires, signature) = Grant("nb", notebook.Port, TimeSpan.FromMinutes(10));
        await signedPage.GoToAsync($"http://nb-{notebook.Port}-{expires}-{signature}.{SystemChromium.Domain}:{ingress.BaseAddress.Port}/");
        Assert.Equal(clean, signedPage.Url);
        Assert.Equal(201, await signedPage.EvaluateFunctionAsync<int>(PostScript, "/api/contents"));

        // A new token revokes every session made under the old one.
        await ingress.WriteManifestAsync("nb.yaml", Manifests.BatchSandbox("nb", token: "rotated-token"));
        var denied = await Eventually.WaitAsync(() => page.ReloadAsync(), r => (int)r.Status == 401, Deadline, "the revoked session refused");
        Assert.StartsWith("text/html", denied.Headers["content-type"], StringComparison.Ordinal);
        await SystemChromium.ScreenshotAsync(page, "5-header-mode-revoked-session-401");
        AssertSandboxSawNoCredential(notebook);
    }

    [Fact]
    public async Task Uri_mode_browser_session_from_a_grant_ends_on_a_clean_url_and_expires_with_the_grant()
    {
        await using var notebook = await NotebookApp.StartAsync(port => $"/nb/{port}/");
        await using var ingress = await StartSessionIngressAsync(RoutingMode.Uri, notebook.Port, keepPrefix: true);
        await using var browser = await SystemChromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        var basePath = $"/nb/{notebook.Port}/";
        var clean = $"http://127.0.0.1:{ingress.BaseAddress.Port}{basePath}";
        var lifetime = TimeSpan.FromSeconds(8);
        var (expires, signature) = Grant("nb", notebook.Port, lifetime);
        var started = Stopwatch.StartNew();

        var response = await page.GoToAsync($"{clean}?opensandbox-access={expires}-{signature}");
        Assert.Equal(200, (int)response.Status);
        Assert.Equal(clean, page.Url);
        await AssertAppWorksWithCookieAsync(page, notebook, basePath, $"ws://127.0.0.1:{ingress.BaseAddress.Port}{basePath}api/ws");
        await SystemChromium.ScreenshotAsync(page, "6-uri-mode-session-clean-url");

        var denied = await Eventually.WaitAsync(() => page.ReloadAsync(), r => (int)r.Status == 401, lifetime + Deadline, "the expired session refused");
        Assert.True(started.Elapsed >= lifetime - TimeSpan.FromSeconds(1), $"refused after {started.Elapsed}, before the grant ended");
        Assert.StartsWith("text/html", denied.Headers["content-type"], StringComparison.Ordinal);
        await SystemChromium.ScreenshotAsync(page, "7-uri-mode-expired-session-401");
        AssertSandboxSawNoCredential(notebook);
    }

    private static async Task<InProcessIngress> StartSessionIngressAsync(RoutingMode mode, int port, bool keepPrefix = false)
    {
        Assert.True(SecureAccessKeys.TryParse(KeysFlag, out var keys, out _));
        return await InProcessIngress.StartAsync(mode,
            configure: o => o with
            {
                Routing = o.Routing with { SecureAccessKeys = keys, KeepUriPrefix = keepPrefix },
                BrowserSessions = new BrowserSessionOptions { Enabled = true },
            },
            manifests: new Dictionary<string, string> { ["nb.yaml"] = Manifests.BatchSandbox("nb", token: Token) });
    }

    /// <summary>The page, its assets, a POST and a WebSocket, all authorized by the session cookie alone.</summary>
    private static async Task AssertAppWorksWithCookieAsync(IPage page, NotebookApp notebook, string basePath, string webSocketUrl)
    {
        await page.WaitForFunctionAsync("() => document.getElementById('state').textContent.startsWith('script loaded')");
        Assert.True(await page.EvaluateExpressionAsync<bool>("document.getElementById('logo').naturalWidth > 0"));
        Assert.Equal(201, await page.EvaluateFunctionAsync<int>(PostScript, basePath + "api/contents"));
        Assert.Equal("echo:ping", await page.EvaluateFunctionAsync<string>(WebSocketScript, webSocketUrl));
        Assert.Contains(notebook.Requests, r => r.RawTarget.EndsWith("/static/app.js", StringComparison.Ordinal));
        Assert.Contains(notebook.Requests, r => r.RawTarget.EndsWith("/api/ws", StringComparison.Ordinal));
        var cookies = await page.GetCookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == BrowserCredentials.Cookie);
        Assert.True(session.HttpOnly);
        await page.EvaluateExpressionAsync("document.getElementById('result').textContent = 'clean URL; assets, POST 201 and WebSocket authorized by the session cookie'");
    }

    private static void AssertSandboxSawNoCredential(NotebookApp notebook)
    {
        Assert.NotEmpty(notebook.Requests);
        Assert.All(notebook.Requests, r =>
        {
            Assert.DoesNotContain(BrowserCredentials.Parameter, r.RawTarget, StringComparison.Ordinal);
            Assert.DoesNotContain(BrowserCredentials.Cookie, r.Header("Cookie") ?? "", StringComparison.Ordinal);
        });
    }

    private static (string Expires, string Signature) Grant(string sandbox, int port, TimeSpan lifetime)
    {
        Assert.True(SecureAccessKeys.TryParse(KeysFlag, out var keys, out _));
        Assert.True(keys.TryGetSecret('a', out var secret));
        var expires = Base36.Format((ulong)DateTimeOffset.UtcNow.Add(lifetime).ToUnixTimeSeconds());
        return (expires, RouteSigner.Digest8(secret, sandbox, port, expires) + "a");
    }

    private static List<string> CollectConsoleErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, e) =>
        {
            if (e.Message.Type == ConsoleType.Error)
            {
                lock (errors)
                {
                    errors.Add(e.Message.Text);
                }
            }
        };
        return errors;
    }

    private static int Count(List<string> errors)
    {
        lock (errors)
        {
            return errors.Count;
        }
    }
}
