using CsCheck;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

/// <summary>Random inputs, 10,000 per property: the parsers never throw, and what they accept round-trips.</summary>
public sealed class RouteParserPropertyTests
{
    private const int Iterations = 10_000;
    private static readonly Gen<string> AnyText = Gen.String[Gen.Char["abcz019-_.:/?#%@ \t\u0000\u00e9ABZ"], 0, 60];
    private static readonly Gen<string> AnyUnicode = Gen.String[0, 60];
    private static readonly Gen<string> Ids = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"], 1, 30]
        .Where(id => !id.EndsWith('-'));

    [Fact]
    public void Header_labels_never_throw() =>
        Gen.Select(Gen.OneOf(AnyText, AnyUnicode), Gen.Bool).Sample((key, fromHost) =>
        {
            var (route, error) = HostLabelParser.Parse(key, fromHost, "/");
            return (route is null) != (error is null);
        }, iter: Iterations);

    [Fact]
    public void Paths_never_throw() =>
        Gen.OneOf(AnyText, AnyUnicode).Sample(path =>
        {
            var (route, error) = PathRouteParser.Parse(path);
            return (route is null) != (error is null) && (route is null || route.PathAndQuery.StartsWith('/'));
        }, iter: Iterations);

    [Fact]
    public void Signature_checks_never_throw() =>
        Gen.Select(AnyText, AnyText).Sample((expires, signature) =>
        {
            _ = RouteSignature.HasLooseShape(expires, signature);
            _ = new RouteSignature(expires, signature).IsWellFormed(out _);
            _ = SignedRouteSyntax.TryParseExpires(expires, out _);
        }, iter: Iterations);

    [Fact]
    public void Signed_labels_round_trip()
    {
        var hex = Gen.String[Gen.Char["0123456789abcdef"], 8, 8];
        var keyId = Gen.Char["0123456789abcdefghijklmnopqrstuvwxyz"];
        Gen.Select(Ids, Gen.Int[1, 65535], Gen.ULong, hex, keyId).Sample((id, port, expires, digest, key) =>
        {
            var expiresText = Base36.Format(expires);
            var label = $"{id}-{port}-{expiresText}-{digest}{key}";
            var (route, error) = HostLabelParser.Parse(label + ".example.com", fromHostHeader: true, "/");
            return error is null
                && route!.SandboxId == id && route.Port == port
                && route.Signature == new RouteSignature(expiresText, digest + key)
                && route.Signature.IsWellFormed(out var parsed) && parsed == expires;
        }, iter: Iterations);
    }

    [Fact]
    public void Signed_paths_round_trip()
    {
        var rest = Gen.String[Gen.Char["abc/%2F.?=&"], 0, 30];
        Gen.Select(Ids, Gen.Int[1, 65535], Gen.ULong, rest).Sample((id, port, expires, tail) =>
        {
            var expiresText = Base36.Format(expires);
            var prefix = $"/{id}/{port}/{expiresText}/0123abcdz";
            var (route, error) = PathRouteParser.Parse($"{prefix}/{tail}");
            return error is null && route!.SandboxId == id && route.Port == port
                && route.SignedForwardedPrefix == prefix && route.SignedPathAndQuery == "/" + tail
                && route.Signature!.IsWellFormed(out var parsed) && parsed == expires;
        }, iter: Iterations);
    }
}
