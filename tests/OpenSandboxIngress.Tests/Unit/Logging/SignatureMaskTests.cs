using OpenSandbox.Ingress.Logging;

namespace OpenSandbox.Ingress.Tests.Unit.Logging;

public sealed class SignatureMaskTests
{
    [Theory]
    [InlineData("/tok/8080/tpn4zw/875fb654a/", "/tok/8080/tpn4zw/*********/")]
    [InlineData("/tok/P/tpn4zw/875fb654a/", "/tok/P/tpn4zw/*********/")]
    [InlineData("/tok/8080/tpn4zw/875fb654a", "/tok/8080/tpn4zw/*********")]
    [InlineData("/my-box/8080/0/875fb654a/api/v1?x=1", "/my-box/8080/0/*********/api/v1?x=1")]
    // A malformed signature (upper case) the parser reads as signed and answers 400 is a credential attempt all the same.
    [InlineData("/tok/8080/tpn4zw/875FB654A/x", "/tok/8080/tpn4zw/*********/x")]
    public void A_signed_path_keeps_its_expiry_and_loses_its_signature(string path, string expected) =>
        Assert.Equal(expected, SignatureMask.InPath(path));

    [Theory]
    [InlineData("/tok/8080/api/v1")]
    [InlineData("/tok/8080/tpn4zw/875fb654")]
    [InlineData("/tok/8080/tpn4zw/875fb654ab/")]
    [InlineData("/tok/8080/tpn-4zw/875fb654a/")]
    [InlineData("//8080/tpn4zw/875fb654a/")]
    [InlineData("/tok//tpn4zw/875fb654a/")]
    [InlineData("/")]
    [InlineData("")]
    public void Other_paths_are_returned_as_they_are(string path) => Assert.Same(path, SignatureMask.InPath(path));

    [Theory]
    [InlineData("my-box-8080-tpn4zw-875fb654a.sandboxes.example.com", "my-box-8080-tpn4zw-*********.sandboxes.example.com")]
    [InlineData("https://tok-8080-tpn4zw-875fb654a.example.com:443", "https://tok-8080-tpn4zw-*********.example.com:443")]
    [InlineData("tok-8080-tpn4zw-875fb654a", "tok-8080-tpn4zw-*********")]
    [InlineData("tok-8080-tpn4zw-875fb654a:80", "tok-8080-tpn4zw-*********:80")]
    public void A_signed_host_keeps_its_expiry_and_loses_its_signature(string host, string expected) =>
        Assert.Equal(expected, SignatureMask.InHost(host));

    [Theory]
    [InlineData("my-box-8080.sandboxes.example.com")]
    [InlineData("http://10.0.0.1:8080")]
    [InlineData("tpn4zw-875fb654a.example.com")]
    [InlineData("tok-8080-tpn4zw.example.com")]
    [InlineData("www.875fb654a-tpn4zw-8080-tok.example.com")]
    public void Other_hosts_are_returned_as_they_are(string host) => Assert.Same(host, SignatureMask.InHost(host));

    [Fact]
    public void Apply_picks_the_form_from_the_first_character()
    {
        Assert.Equal("/tok/1/tpn4zw/*********", SignatureMask.Apply("/tok/1/tpn4zw/875fb654a"));
        Assert.Equal("tok-1-tpn4zw-*********.d", SignatureMask.Apply("tok-1-tpn4zw-875fb654a.d"));
    }
}
