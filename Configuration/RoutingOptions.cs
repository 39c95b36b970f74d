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

    public static readonly Option<string> UriPrefixFlag = new("--uri-prefix")
    {
        Description = "URI mode: strip (the sandbox receives /<rest>) or keep (it receives /<sandbox-id>/<port>/<rest>, for apps configured with that base path); the annotation opensandbox.io/ingress-uri-prefix wins.",
        DefaultValueFactory = _ => "strip",
    };

    public static readonly Option<bool> OriginRewriteFlag = new("--origin-rewrite")
    {
        Description = "An Origin equal to the request's own origin reaches the sandbox as http://<endpoint>:<port>, so same-origin calls stay same-origin after the Host rewrite; --origin-rewrite=false turns it off.",
        DefaultValueFactory = _ => true,
    };

    public static readonly Option<bool> PreserveHostFlag = new("--preserve-host")
    {
        Description = "Send the client's Host to the sandbox instead of <endpoint>:<port> (for apps that build absolute URLs from Host).",
    };

    public static IEnumerable<Option> Flags => [ModeFlag, SecureAccessKeysFlag, UriRewriteFlag, UriPrefixFlag, OriginRewriteFlag, PreserveHostFlag];

    public RoutingMode Mode { get; init; } = RoutingMode.Header;

    public SecureAccessKeys SecureAccessKeys { get; init; } = SecureAccessKeys.None;

    /// <summary>URI mode: keep redirects and cookies under the sandbox's prefix.</summary>
    public bool UriRewrite { get; init; } = true;

    /// <summary>URI mode: forward the full path, prefix included, unless a sandbox's annotation says otherwise.</summary>
    public bool KeepUriPrefix { get; init; }

    /// <summary>Same-origin requests keep looking same-origin to the sandbox after the Host rewrite.</summary>
    public bool OriginRewrite { get; init; } = true;

    /// <summary>The sandbox receives the client's Host, not its own address.</summary>
    public bool PreserveHost { get; init; }

    /// <summary>The Origin is rewritten only where the Host is: with the client's Host kept, the two still agree.</summary>
    public bool RewritesOrigin => OriginRewrite && !PreserveHost;

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

        var prefixText = flags.Value(UriPrefixFlag);
        var keepPrefix = prefixText switch
        {
            "strip" => false,
            "keep" => true,
            _ => flags.Fail(UriPrefixFlag, $"unknown value '{prefixText}' (expected strip or keep)", false),
        };

        return new RoutingOptions
        {
            Mode = mode,
            SecureAccessKeys = keys,
            UriRewrite = flags.Value(UriRewriteFlag),
            KeepUriPrefix = keepPrefix,
            OriginRewrite = flags.Value(OriginRewriteFlag),
            PreserveHost = flags.Value(PreserveHostFlag),
        };
    }
}
