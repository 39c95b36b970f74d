using System.Net;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>Starts a real backend and the in-process ingress in URI mode (<c>/{id}/{port}/{rest}</c>).</summary>
public sealed class UriModeForwardingTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private InProcessIngress _ingress = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _ingress = await InProcessIngress.StartAsync(RoutingMode.Uri, manifests: new Dictionary<string, string>
        {
            ["sb.yaml"] = Manifests.BatchSandbox("sb"),
        });
        _client = new HttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _ingress.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("/sb/{port}/a%2Fb/../c?x=1", "/a%2Fb/../c?x=1")]
    [InlineData("/sb/{port}", "/")]
    [InlineData("/sb/{port}/", "/")]
    [InlineData("/sb/{port}?x=1", "/?x=1")]
    [InlineData("/sb/{port}//twice//", "//twice//")]
    [InlineData("/sb/{port}/%2e%2e/%252F/.", "/%2e%2e/%252F/.")]
    public async Task The_remainder_arrives_byte_for_byte(string template, string expected)
    {
        var target = template.Replace("{port}", _backend.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        using var response = await _client.GetAsync(VerbatimUri.Create(_ingress.BaseAddress, target), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, _backend.LastRequest.RawTarget);
        Assert.Equal($"/sb/{_backend.Port}", _backend.LastRequest.Header(IngressHeaders.ForwardedPrefix));
    }

    [Fact]
    public async Task Host_header_is_ignored_in_uri_mode()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, VerbatimUri.Create(_ingress.BaseAddress, $"/sb/{_backend.Port}/x"));
        request.Headers.Host = "nobody-1.example.com";

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nobody-1.example.com", _backend.LastRequest.Header(IngressHeaders.ForwardedHost));
    }

    [Theory]
    [InlineData("/", HttpStatusCode.BadRequest)]
    [InlineData("/sb", HttpStatusCode.NoContent)] // root-level: the quiet answer, never the backend
    [InlineData("/sb/", HttpStatusCode.BadRequest)]
    [InlineData("/sb/08080/", HttpStatusCode.BadRequest)]
    [InlineData("/sb/http/", HttpStatusCode.BadRequest)]
    [InlineData("//8080/", HttpStatusCode.BadRequest)]
    [InlineData("/missing/8080/", HttpStatusCode.NotFound)]
    public async Task Bad_routes_never_reach_a_backend(string target, HttpStatusCode expected)
    {
        var before = _backend.Requests.Count;

        using var response = await _client.GetAsync(VerbatimUri.Create(_ingress.BaseAddress, target), TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(before, _backend.Requests.Count);
    }
}
