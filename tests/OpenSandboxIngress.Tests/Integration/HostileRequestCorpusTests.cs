using System.Text;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// Hundreds of hostile requests, generated and hand-written, sent as raw bytes to the in-process ingress in both
/// modes. Two real backends record what they see: <c>alpha</c> is the only sandbox any request may legitimately reach;
/// <c>beta</c> requires secure access and no request carries a credential, so it must see nothing.
/// </summary>
public sealed class HostileRequestCorpusTests : IAsyncLifetime
{
    private TestBackend _alpha = null!;
    private TestBackend _beta = null!;
    private InProcessIngress _header = null!;
    private InProcessIngress _uri = null!;

    public async ValueTask InitializeAsync()
    {
        _alpha = await TestBackend.StartAsync();
        _beta = await TestBackend.StartAsync();
        // "beta" exists and demands secure access; no request below carries a credential, so none may reach it.
        var manifests = new Dictionary<string, string>
        {
            ["alpha.yaml"] = Manifests.BatchSandbox("alpha"),
            ["beta.yaml"] = Manifests.BatchSandbox("beta", token: "beta-token"),
        };
        _header = await InProcessIngress.StartAsync(manifests: manifests);
        _uri = await InProcessIngress.StartAsync(RoutingMode.Uri, manifests: manifests);
    }

    public async ValueTask DisposeAsync()
    {
        await _header.DisposeAsync();
        await _uri.DisposeAsync();
        await _alpha.DisposeAsync();
        await _beta.DisposeAsync();
    }

    private sealed record Case(string Name, bool UriMode, string Raw, bool MayReachAlpha);

    private IEnumerable<Case> Corpus()
    {
        var a = _alpha.Port;
        var b = _beta.Port;
        string Get(string target, string headers) => $"GET {target} HTTP/1.1\r\n{headers}\r\n";

        // Host names: @, %, spaces, unicode, IP literals, trailing dots, very long labels, ports out of range.
        string[] hosts =
        [
            $"beta@alpha-{a}", $"alpha-{a}@beta-{b}", $"alpha%2d{a}", $"alpha-{a}%00", $"al pha-{a}", $"ålpha-{a}", $"alpha-{a}\u00e9",
            $"127.0.0.1:{b}", $"[::1]:{b}", "[::1]", $"alpha-{a}.", $"alpha-{a}..", $".alpha-{a}", new string('x', 300) + $"-{b}",
            "x-" + new string('9', 300), "", ".", "-", "--", $"-{b}", $"beta-{b}0", $"beta-0{b}", $"beta-+{b}", $"beta--{b}", $"beta-{b}-",
            "beta-0", "beta-65536", "beta-99999999999999999999", "beta-1e3", "beta-", $"beta-{b}:x", $"beta-{b}x",
            $"beta_{b}", $"beta.{b}", $"beta-{b}-zzzzzzzzzzzzzzzzzzzz-123456789", $"beta-{b}-x2qxvk-8E1E06E3A",
            $"beta-{b}-0x2qxvk-8e1e06e3a", $"beta-{b}-x2qxvk00000000-8e1e06e3a",
        ];
        foreach (var host in hosts)
        {
            var reachAlpha = host.StartsWith($"alpha-{a}.", StringComparison.Ordinal) || host == $"alpha-{a}.";
            yield return new Case("Host " + host, false, Get("/", $"Host: {host}\r\n"), reachAlpha);
            yield return new Case("Host, https:// " + host, false, Get("/", $"Host: x\r\nOpenSandbox-Ingress-To: https://{host}\r\n"), reachAlpha);
        }

        // Routing header values: NUL, several values, .., /, #, ?, bad ports, absolute URLs.
        string[] routes =
        [
            $"alpha-{a}\0beta-{b}", $"alpha-{a}/../beta-{b}", $"../beta-{b}", $"/beta-{b}", $"#beta-{b}", $"?beta-{b}", $"beta-{b}#",
            $"beta-{b}?", "alpha-0", "alpha-65536", "alpha-+80", "alpha-08080", "alpha-1e3", "alpha-", "alpha", "-",
            $"http://beta-{b}@evil", $"http://user:pass@beta-{b}", $"ftp://beta-{b}", $"beta-{b} ", $" beta-{b}x", $"beta-{b},alpha-{a}",
            $"beta-{b}\talpha", new string('a', 10_000) + $"-{b}", $"beta-{b}-zz-00000000a", $"BETA-{b}-X2QXVK-8E1E06E3A",
        ];
        foreach (var route in routes)
        {
            foreach (var header in new[] { IngressHeaders.IngressTo, IngressHeaders.LegacyIngress, "opensandbox-ingress-to" })
            {
                // Everything from the first '/', '.' or ':' is not part of the label: "alpha-A/../beta-B" names alpha.
                yield return new Case($"{header}: {route}", false, Get("/", $"Host: x\r\n{header}: {route}\r\n"),
                    MayReachAlpha: route.StartsWith($"alpha-{a}/", StringComparison.Ordinal));
            }
        }

        yield return new Case("two routing values", false, Get("/", $"Host: x\r\nOpenSandbox-Ingress-To: alpha-{a}\r\nOpenSandbox-Ingress-To: beta-{b}\r\n"), false);
        yield return new Case("two Host headers", false, Get("/", $"Host: alpha-{a}\r\nHost: beta-{b}\r\n"), false);
        yield return new Case("obs-fold", false, Get("/", $"Host: x\r\nOpenSandbox-Ingress-To: alpha-{a}\r\n beta-{b}\r\n"), false);
        yield return new Case("bare LF", false, $"GET / HTTP/1.1\nHost: beta-{b}x\nOpenSandbox-Ingress-To: beta-{b}x\n\n", false);
        yield return new Case("CR in value", false, Get("/", $"Host: x\r\nOpenSandbox-Ingress-To: beta-{b}\rX: y\r\n"), false);

        // Paths with a valid route to alpha: odd but legal ones reach alpha byte for byte, illegal ones are refused.
        string[] paths =
        [
            "/%00", "/%2e%2e/%2e%2e/etc/passwd", "//double", "/%c0%ae%c0%ae/", "/%ff%fe", "/" + new string('s', 16 * 1024),
            "/a?" + new string('q', 16 * 1024), "/%", "/%zz", "/a b", "/\u00e9", "/..", "/./", "*", "http://beta/x", $"http://beta-{b}/",
            "/a#frag", "/%23", "/?%00",
        ];
        foreach (var path in paths)
        {
            yield return new Case("path " + path[..Math.Min(40, path.Length)], false, Get(path, $"Host: alpha-{a}\r\n"), MayReachAlpha: true);
            var uriTarget = path.StartsWith('/') ? $"/alpha/{a}{path}" : path;
            yield return new Case("uri path " + path[..Math.Min(40, path.Length)], true, Get(uriTarget, "Host: x\r\n"), MayReachAlpha: true);
        }

        // URI-mode routes.
        string[] uriRoutes =
        [
            $"/beta/0{b}/", $"/beta/+{b}/", $"/beta/{b}x/", "/beta/0/", "/beta/65536/", "/beta/1e3/", "/beta//", "//beta/", "/%62eta/" + b,
            $"/beta%2f{b}/", $"/../beta/{b}/", $"/./beta/{b}/", "/beta", "/", "/beta/", $"/beta\\{b}/", $"/beta;x/{b}/",
            $"/beta/{b};x/", $"/BETA/{b}/", $"/nobody/{b}/", $"/alpha/{a}/../../beta/{b}/",
        ];
        foreach (var target in uriRoutes)
        {
            yield return new Case("uri route " + target, true, Get(target, "Host: x\r\n"), MayReachAlpha: target.StartsWith("/alpha/", StringComparison.Ordinal));
        }

        // Generated: the sandbox id "alpha" with hostile characters mixed in never names a sandbox that exists.
        var random = new Random(20261129);
        const string hostile = " @%#?/\\.~!$&'()*+,;=:[]{}|^`\"<>\u00ff\u20ac\t_";
        for (var i = 0; i < 60; i++)
        {
            var noise = new string(Enumerable.Range(0, random.Next(1, 6)).Select(_ => hostile[random.Next(hostile.Length)]).ToArray());
            var id = random.Next(2) == 0 ? "alpha" + noise : noise + "alpha";
            yield return new Case($"generated route {i}", false, Get("/", $"Host: x\r\nOpenSandbox-Ingress-To: {id}-{a}\r\n"), MayReachAlpha: false);
            yield return new Case($"generated host {i}", false, Get("/", $"Host: {id}-{a}\r\n"), MayReachAlpha: false);
        }

        // Methods and framing.
        yield return new Case("CONNECT", false, $"CONNECT beta-{b}:443 HTTP/1.1\r\nHost: beta-{b}:443\r\n\r\n", false);
        yield return new Case("CONNECT with route", false, Get("/", "").Replace("GET /", $"CONNECT alpha-{a}:{a}", StringComparison.Ordinal) + "", false);
        yield return new Case("TRACE", false, $"TRACE / HTTP/1.1\r\nHost: alpha-{a}\r\n\r\n", true);
        yield return new Case("lowercase get", false, $"get / HTTP/1.1\r\nHost: alpha-{a}\r\n\r\n", true);
        yield return new Case("absolute form to beta", false, $"GET http://beta-{b}/ HTTP/1.1\r\nHost: alpha-{a}\r\n\r\n", true);
        yield return new Case("CL and TE", false, $"POST /cl-te HTTP/1.1\r\nHost: alpha-{a}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true);
        yield return new Case("two CL", false, $"POST /two-cl HTTP/1.1\r\nHost: alpha-{a}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false);
        yield return new Case("negative CL", false, $"POST / HTTP/1.1\r\nHost: alpha-{a}\r\nContent-Length: -1\r\n\r\n", false);
        yield return new Case("TE gzip", false, $"POST / HTTP/1.1\r\nHost: alpha-{a}\r\nTransfer-Encoding: gzip\r\n\r\n", false);
        yield return new Case("smuggled chunk", false, $"POST / HTTP/1.1\r\nHost: alpha-{a}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true);
        yield return new Case("HTTP/1.0 no host", false, "GET / HTTP/1.0\r\n\r\n", false);
        yield return new Case("HTTP/2 preface on h1", false, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false);
        yield return new Case("HTTP/9", false, $"GET / HTTP/9.9\r\nHost: alpha-{a}\r\n\r\n", false);
        yield return new Case("no version", false, "GET /\r\n\r\n", false);
        yield return new Case("garbage", false, "\u0001\u0002\u0003\r\n\r\n", false);
        yield return new Case("space in method", false, $"G ET / HTTP/1.1\r\nHost: alpha-{a}\r\n\r\n", false);
        yield return new Case("header without colon", false, $"GET / HTTP/1.1\r\nHost alpha-{a}\r\n\r\n", false);
        yield return new Case("header name with space", false, $"GET / HTTP/1.1\r\nHost : alpha-{a}\r\n\r\n", false);
        yield return new Case("upgrade to h2c", false, $"GET / HTTP/1.1\r\nHost: alpha-{a}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", true);
    }

    [Fact]
    public async Task Every_hostile_request_is_refused_or_reaches_only_the_sandbox_it_names()
    {
        var corpus = Corpus().ToList();
        Assert.True(corpus.Count >= 300, $"the corpus has only {corpus.Count} requests");
        var problems = new List<string>();

        foreach (var request in corpus)
        {
            var ingress = request.UriMode ? _uri : _header;
            var (status, head) = await RawHttp.SendAsync(ingress.BaseAddress.Port, Encoding.UTF8.GetBytes(request.Raw), TimeSpan.FromSeconds(5));
            var fromAlpha = head.Contains($"X-Backend-Port: {_alpha.Port}", StringComparison.OrdinalIgnoreCase);
            // 4xx; 503 for a signed-looking route when no signing keys are configured (SPEC §8); Kestrel's 505 for an
            // unknown HTTP version; in URI mode the quiet 204 for a root-level GET such as /favicon.ico (README, Web apps and
            // browsers). All are answered by the ingress itself.
            var refused = status is (>= 400 and < 500) or 503 or 505 || (request.UriMode && status == 204 && !fromAlpha);
            var acceptable = refused || (request.MayReachAlpha && status is >= 200 and < 300 && fromAlpha) || (status == 0 && !request.MayReachAlpha);
            if (!acceptable)
            {
                problems.Add($"{request.Name}: status {status}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Empty(_beta.Requests);
        using var client = new HttpClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(new Uri(_header.BaseAddress, "/status.ok"), TestContext.Current.CancellationToken)).StatusCode);
        TestContext.Current.TestOutputHelper!.WriteLine($"{corpus.Count} hostile requests; alpha saw {_alpha.Requests.Count}, beta saw 0");
    }
}
