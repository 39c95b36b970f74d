using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// Signed routes and the access-token header through real listeners: the in-process ingress in header mode and
/// URI mode with a signing key, and once without keys, in front of a real backend.
/// </summary>
public sealed class SecureAccessEndToEndTests : IAsyncLifetime
{
    private const string Token = "tok-123";
    private const string Keys = "a=dGVzdC1zZWNyZXQtYnl0ZXM=";
    private static readonly byte[] Secret = Convert.FromBase64String("dGVzdC1zZWNyZXQtYnl0ZXM=");

    /// <summary>The ingresses' clock: signed routes expire against it, not against the machine's.</summary>
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T10:00:00Z", CultureInfo.InvariantCulture));
    private TestBackend _backend = null!;
    private InProcessIngress _header = null!;
    private InProcessIngress _uri = null!;
    private InProcessIngress _noKeys = null!;
    private readonly HttpClient _client = new();

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        var manifests = new Dictionary<string, string>
        {
            ["locked.yaml"] = Manifests.BatchSandbox("locked", token: Token),
            ["open.yaml"] = Manifests.BatchSandbox("open"),
        };
        Assert.True(SecureAccessKeys.TryParse(Keys, out var keys, out _));
        _header = await InProcessIngress.StartAsync(RoutingMode.Header, o => o with { Routing = o.Routing with { SecureAccessKeys = keys! } }, manifests,
            UseFakeClock);
        _uri = await InProcessIngress.StartAsync(RoutingMode.Uri, o => o with { Routing = o.Routing with { SecureAccessKeys = keys! } }, manifests,
            UseFakeClock);
        _noKeys = await InProcessIngress.StartAsync(RoutingMode.Header, manifests: manifests, overrideServices: UseFakeClock);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _header.DisposeAsync();
        await _uri.DisposeAsync();
        await _noKeys.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private int Port => _backend.Port;

    private void UseFakeClock(IServiceCollection services) => services.AddSingleton<TimeProvider>(_time);

    private string ExpiresIn(int seconds) =>
        Base36.Format((ulong)(_time.GetUtcNow().ToUnixTimeSeconds() + seconds));

    private string Sign(string expires, string id = "locked", char keyId = 'a') =>
        RouteSigner.Digest8(Secret, id, Port, expires) + keyId;

    private async Task<(HttpStatusCode Status, string Body)> ViaHeaderAsync(InProcessIngress ingress, string routingKey, string? accessHeader = null,
        string path = "/signed")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, VerbatimUri.Create(ingress.BaseAddress, path));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);
        if (accessHeader is not null)
        {
            request.Headers.TryAddWithoutValidation(IngressHeaders.SecureAccess, accessHeader);
        }

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private async Task<HttpStatusCode> ViaHostAsync(string label)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, VerbatimUri.Create(_header.BaseAddress, "/by-host"));
        request.Headers.Host = label + ".sandboxes.example.com";
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> ViaUriAsync(string path, string? accessHeader = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, VerbatimUri.Create(_uri.BaseAddress, path));
        if (accessHeader is not null)
        {
            request.Headers.TryAddWithoutValidation(IngressHeaders.SecureAccess, accessHeader);
        }

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("open-{port}-zzzzzzzzzzzzzz-12345678a")]
    [InlineData("open-{port}-zzz-1q234567a")]
    public async Task A_label_that_only_reads_as_a_malformed_signed_route_is_400_even_for_an_open_sandbox(string label)
    {
        var key = label.Replace("{port}", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var (status, body) = await ViaHeaderAsync(_header, key);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("OpenSandbox Ingress: malformed signed route (expiry or signature)\n", body);
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task Valid_signed_route_in_the_Host_name_is_forwarded()
    {
        var expires = ExpiresIn(3600);

        Assert.Equal(HttpStatusCode.OK, await ViaHostAsync($"locked-{Port}-{expires}-{Sign(expires)}"));
        Assert.Equal("/by-host", _backend.LastRequest.RawTarget);
    }

    [Fact]
    public async Task Valid_signed_route_in_the_routing_header_is_forwarded()
    {
        var expires = ExpiresIn(3600);

        var (status, _) = await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{Sign(expires)}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("/signed", _backend.LastRequest.RawTarget);
    }

    [Fact]
    public async Task Valid_signed_uri_route_is_forwarded_with_the_signed_prefix_gone()
    {
        var expires = ExpiresIn(3600);
        var prefix = $"/locked/{Port}/{expires}/{Sign(expires)}";

        Assert.Equal(HttpStatusCode.OK, await ViaUriAsync(prefix + "/app/index.html?x=1"));
        Assert.Equal("/app/index.html?x=1", _backend.LastRequest.RawTarget);
        Assert.Equal(prefix, _backend.LastRequest.Header(IngressHeaders.ForwardedPrefix));
    }

    [Fact]
    public async Task Expired_by_one_second_is_401()
    {
        var expires = ExpiresIn(-1);

        Assert.Equal(HttpStatusCode.Unauthorized, (await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{Sign(expires)}")).Status);
    }

    [Fact]
    public async Task A_route_valid_now_is_401_once_the_clock_passes_its_expiry()
    {
        var expires = ExpiresIn(60);
        var route = $"locked-{Port}-{expires}-{Sign(expires)}";
        Assert.Equal(HttpStatusCode.OK, (await ViaHeaderAsync(_header, route)).Status);

        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(HttpStatusCode.Unauthorized, (await ViaHeaderAsync(_header, route)).Status);
    }

    [Fact]
    public async Task One_hex_digit_changed_is_401()
    {
        var expires = ExpiresIn(3600);
        var signature = Sign(expires);
        var tampered = (signature[0] == '0' ? '1' : '0') + signature[1..];

        Assert.Equal(HttpStatusCode.Unauthorized, (await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{tampered}")).Status);
    }

    [Fact]
    public async Task Unknown_key_id_is_401()
    {
        var expires = ExpiresIn(3600);

        Assert.Equal(HttpStatusCode.Unauthorized, (await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{Sign(expires, keyId: 'b')}")).Status);
    }

    [Fact]
    public async Task Upper_case_hex_is_400()
    {
        var expires = ExpiresIn(3600);

        Assert.Equal(HttpStatusCode.BadRequest, (await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{Sign(expires).ToUpperInvariant()}")).Status);
    }

    [Fact]
    public async Task Fourteen_character_expiry_is_400()
    {
        var expires = "1" + new string('0', 13);

        Assert.Equal(HttpStatusCode.BadRequest, (await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{Sign(expires)}")).Status);
    }

    [Fact]
    public async Task Leading_zero_in_the_expiry_is_400()
    {
        var expires = "0" + ExpiresIn(3600);

        Assert.Equal(HttpStatusCode.BadRequest, (await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{Sign(expires)}")).Status);
    }

    [Fact]
    public async Task Leading_zero_in_the_port_is_400()
    {
        var expires = ExpiresIn(3600);

        Assert.Equal(HttpStatusCode.BadRequest, (await ViaHeaderAsync(_header, $"locked-0{Port}-{expires}-{Sign(expires)}")).Status);
    }

    [Fact]
    public async Task Right_token_in_the_header_with_a_garbage_signature_is_200()
    {
        var (status, _) = await ViaHeaderAsync(_header, $"locked-{Port}-zz-00000000a", accessHeader: Token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(_backend.LastRequest.Header(IngressHeaders.SecureAccess));
    }

    [Fact]
    public async Task Wrong_token_with_a_valid_signature_is_401()
    {
        var expires = ExpiresIn(3600);

        Assert.Equal(HttpStatusCode.Unauthorized, (await ViaHeaderAsync(_header, $"locked-{Port}-{expires}-{Sign(expires)}", accessHeader: "nope")).Status);
    }

    [Fact]
    public async Task Empty_header_value_is_401() =>
        Assert.Equal(HttpStatusCode.Unauthorized, (await ViaHeaderAsync(_header, $"locked-{Port}", accessHeader: "")).Status);

    [Fact]
    public async Task No_credential_is_401_and_the_body_never_shows_the_token()
    {
        var (status, body) = await ViaHeaderAsync(_header, $"locked-{Port}");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.DoesNotContain(Token, body);
    }

    [Fact]
    public async Task Signed_route_with_no_keys_configured_is_503()
    {
        var expires = ExpiresIn(3600);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ViaHeaderAsync(_noKeys, $"locked-{Port}-{expires}-{Sign(expires)}")).Status);
    }

    [Fact]
    public async Task A_sandbox_without_token_keeps_signed_looking_segments_in_the_forwarded_path()
    {
        var expires = ExpiresIn(3600);
        var signature = Sign(expires, id: "open");

        Assert.Equal(HttpStatusCode.OK, await ViaUriAsync($"/open/{Port}/{expires}/{signature}/rest"));
        Assert.Equal($"/{expires}/{signature}/rest", _backend.LastRequest.RawTarget);
        Assert.Equal($"/open/{Port}", _backend.LastRequest.Header(IngressHeaders.ForwardedPrefix));
    }
}
