using System.CommandLine;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>How a request names its sandbox and what is checked and rewritten on the way (SPEC §4, §7, §8).</summary>
internal sealed record RoutingOptions
{
    public static readonly Option<string> ModeFlag = new("--mode")
    {
        Description = "Routing mode: header (OpenSandbox-Ingress-To header, then Host) or uri (/<sandbox-id>/<port>/...).",
        DefaultValueFactory = _ => "header",
    };

    public static readonly Option<string?> SecureAccessKeysFlag = new("--secure-access-keys")
    {
        Description = "Signing keys of signed routes: id=BASE64[,id=BASE64...], id one character 0-9 or a-z.",
    };

    public static readonly Option<bool> UriRewriteFlag = new("--uri-rewrite")
    {
        Description = "URI mode: keep redirects (Location, Content-Location, Refresh) and cookie paths under /<sandbox-id>/<port>; --uri-rewrite=false turns it off.",
        DefaultValueFactory = _ => true,
    };

    public static IEnumerable<Option> Flags => [ModeFlag, SecureAccessKeysFlag, UriRewriteFlag];

    public RoutingMode Mode { get; init; } = RoutingMode.Header;

    public SecureAccessKeys SecureAccessKeys { get; init; } = SecureAccessKeys.None;

    /// <summary>URI mode: keep redirects and cookies under the sandbox's prefix.</summary>
    public bool UriRewrite { get; init; } = true;

    /// <summary>Responses are rewritten only in URI mode, where the ingress strips a prefix the sandbox does not know.</summary>
    public bool RewritesUnderPrefix => Mode == RoutingMode.Uri && UriRewrite;

    public static RoutingOptions Read(FlagReader flags)
    {
        var modeText = flags.Value(ModeFlag);
        var mode = modeText switch
        {
            "header" => RoutingMode.Header,
            "uri" => RoutingMode.Uri,
            _ => flags.Fail(ModeFlag, $"unknown mode '{modeText}' (expected header or uri)", RoutingMode.Header),
        };

        if (!SecureAccessKeys.TryParse(flags.Value(SecureAccessKeysFlag), out var keys, out var keysError))
        {
            keys = flags.Fail(SecureAccessKeysFlag, keysError, SecureAccessKeys.None);
        }

        return new RoutingOptions { Mode = mode, SecureAccessKeys = keys, UriRewrite = flags.Value(UriRewriteFlag) };
    }
}
