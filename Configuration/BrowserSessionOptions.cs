using System.CommandLine;
using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>
/// Browser sessions (SPEC §8): a credential presented once in the URL is exchanged for a signed, HttpOnly cookie, so a
/// browser can open a sandbox that requires secure access without the credential staying in its address bar.
/// </summary>
internal sealed record BrowserSessionOptions
{
    private const double DefaultMaxAgeSeconds = 12 * 3600;

    public static readonly Option<bool> BrowserSessionsFlag = new("--browser-sessions")
    {
        Description = "Exchange a credential in the URL (?opensandbox-access=<token or grant>, or a signed route) for an HttpOnly session cookie and redirect to the clean URL; needs --secure-access-keys (the cookie is signed with them).",
    };

    public static readonly Option<string> SameSiteFlag = new("--browser-session-samesite")
    {
        Description = "SameSite of the session cookie: lax or none (for sandboxes shown in iframes of other sites; forces Secure).",
        DefaultValueFactory = _ => "lax",
    };

    public static readonly Option<bool> SecureFlag = new("--browser-session-secure")
    {
        Description = "Mark the session cookie Secure on every request (the ingress is behind TLS); without it, only requests that arrived over TLS.",
    };

    public static readonly Option<double> MaxAgeFlag = new("--browser-session-max-age")
    {
        Description = "Seconds a session cookie lasts at most; one made from a grant or signed route ends with it when that is sooner.",
        DefaultValueFactory = _ => DefaultMaxAgeSeconds,
    };

    public static IEnumerable<Option> Flags => [BrowserSessionsFlag, SameSiteFlag, SecureFlag, MaxAgeFlag];

    public bool Enabled { get; init; }

    public SameSiteMode SameSite { get; init; } = SameSiteMode.Lax;

    /// <summary>Secure whatever the request's scheme; SameSite=None needs it (browsers refuse the cookie otherwise).</summary>
    public bool AlwaysSecure { get; init; }

    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(DefaultMaxAgeSeconds);

    /// <param name="routing">The cookie is signed with the signed-route keys, so sessions need them.</param>
    public static BrowserSessionOptions Read(FlagReader flags, RoutingOptions routing)
    {
        var enabled = flags.Value(BrowserSessionsFlag);
        if (enabled && routing.SecureAccessKeys.IsEmpty)
        {
            flags.Fail(BrowserSessionsFlag, "needs --secure-access-keys: the session cookie is signed with them", false);
        }

        // No strict: a link from another site is a cross-site navigation, and the browser withholds a Strict cookie from
        // the request the 303 sends it to, so the session would never be used.
        var sameSiteText = flags.Value(SameSiteFlag);
        var sameSite = sameSiteText switch
        {
            "lax" => SameSiteMode.Lax,
            "none" => SameSiteMode.None,
            _ => flags.Fail(SameSiteFlag, $"unknown value '{sameSiteText}' (expected lax or none)", SameSiteMode.Lax),
        };

        // Max-Age is written in whole seconds: under one it would be 0, a cookie the browser drops at once.
        var maxAge = flags.Seconds(MaxAgeFlag);
        if (maxAge < TimeSpan.FromSeconds(1))
        {
            flags.Fail(MaxAgeFlag, $"{maxAge.TotalSeconds} is under 1 second (the cookie's Max-Age counts whole seconds)", false);
        }

        return new BrowserSessionOptions
        {
            Enabled = enabled,
            SameSite = sameSite,
            AlwaysSecure = flags.Value(SecureFlag) || sameSite == SameSiteMode.None,
            MaxAge = maxAge,
        };
    }
}
