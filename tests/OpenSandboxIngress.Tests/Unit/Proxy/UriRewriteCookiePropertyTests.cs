using CsCheck;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

/// <summary>
/// Random <c>Set-Cookie</c> values, 10,000 per property: after the URI-mode rewrite, the path a browser gives the
/// cookie (RFC 6265 §5.2, §5.3) is the prefix or below it.
/// </summary>
public sealed class UriRewriteCookiePropertyTests
{
    private const int Iterations = 10_000;
    private const string Prefix = "/sb/8080";

    private static Gen<string> OneOf(params string[] choices) => Gen.Int[0, choices.Length - 1].Select(i => choices[i]);

    private static readonly Gen<string> Spaces = OneOf("", "", " ", "  ", "\t", " \t", "\v", "\u00a0");

    private static readonly Gen<string> PathNames = Gen.Select(Gen.Bool, Gen.Bool, Gen.Bool, Gen.Bool)
        .Select((p, a, t, h) => $"{(p ? 'P' : 'p')}{(a ? 'A' : 'a')}{(t ? 'T' : 't')}{(h ? 'H' : 'h')}");

    private static readonly Gen<string> PathValues = Gen.OneOf(
        OneOf("/", "/x", "/x/y", Prefix, Prefix + "/y", Prefix + "0", "/sb", "/SB/8080", "x", "", "sb/8080", "//x", "/sb/8080/../x"),
        Gen.String[Gen.Char["/sb80x \t.%=?#"], 0, 12]);

    private static readonly Gen<string> PathAttributes = Gen.Select(Spaces, PathNames, Spaces, Gen.Bool, Spaces, PathValues, Spaces)
        .Select((before, name, after, hasValue, valueBefore, value, valueAfter) =>
            hasValue ? $"{before}{name}{after}={valueBefore}{value}{valueAfter}" : $"{before}{name}{after}");

    private static readonly Gen<string> OtherAttributes = Gen.OneOf(
        OneOf(" HttpOnly", " Secure", " Domain=example.com", " Max-Age=60", " SameSite=Lax", "", " x=/", " Paths=/", " P ath=/"),
        Gen.String[Gen.Char["aPpthH=/ \t\v"], 0, 12]);

    private static readonly Gen<string> SetCookies = Gen.Select(
            OneOf("a=1", "path=/", "a=/x", "a", ""),
            Gen.OneOf(PathAttributes, PathAttributes, OtherAttributes).Array[0, 5])
        .Select((pair, attributes) => pair + string.Concat(attributes.Select(attribute => ";" + attribute)));

    /// <summary>Client request targets under the prefix; the bare prefix has its parent as default cookie path.</summary>
    private static readonly Gen<string> Targets = OneOf(Prefix, Prefix + "?next=/a/b", Prefix + "/", Prefix + "/a", Prefix + "/a/b/c?x=/");

    [Fact]
    public void The_path_a_browser_takes_never_leaves_the_prefix() =>
        Gen.Select(SetCookies, Targets).Sample((setCookie, target) =>
        {
            var placed = UriRewrite.CookiePath(setCookie, Prefix, UriRewrite.DefaultCookiePathLeavesPrefix(target, Prefix));
            var strict = EffectivePath(placed, target, IsRfcSpace);
            var lenient = EffectivePath(placed, target, char.IsWhiteSpace);
            return IsUnderPrefix(strict) && IsUnderPrefix(lenient);
        }, iter: Iterations, print: t => $"{t.Item1} at {t.Item2}");

    [Fact]
    public void The_cookie_itself_is_kept_and_a_second_rewrite_changes_nothing() =>
        Gen.Select(SetCookies, Targets).Sample((setCookie, target) =>
        {
            var leaves = UriRewrite.DefaultCookiePathLeavesPrefix(target, Prefix);
            var placed = UriRewrite.CookiePath(setCookie, Prefix, leaves);
            var separator = setCookie.IndexOf(';', StringComparison.Ordinal);
            var pair = separator < 0 ? setCookie : setCookie[..separator];
            return placed.StartsWith(pair, StringComparison.Ordinal) && UriRewrite.CookiePath(placed, Prefix, leaves) == placed;
        }, iter: Iterations, print: t => $"{t.Item1} at {t.Item2}");

    [Fact]
    public void The_model_sees_the_hostile_cookies_leave_the_prefix_before_the_rewrite()
    {
        Assert.Equal("/", EffectivePath("a=1; Path=/sb/8080; Path=/", Prefix + "/", IsRfcSpace));
        Assert.Equal("/", EffectivePath("b=2; Path =/", Prefix + "/", IsRfcSpace));
        Assert.Equal("/sb", EffectivePath("c=3", Prefix, IsRfcSpace));
        Assert.Equal("/sb/8080/a/b", EffectivePath("d=4; Path=x", Prefix + "/a/b/c", IsRfcSpace));
    }

    /// <summary>
    /// The cookie's path as RFC 6265 computes it: attributes after the first ';', name and value trimmed, the last
    /// attribute named Path (any case) wins, a value not starting with '/' means the default path (§5.1.4).
    /// <paramref name="isSpace"/> is what the browser trims: SP and HTAB per the RFC, or a more lenient set.
    /// </summary>
    private static string EffectivePath(string setCookie, string target, Func<char, bool> isSpace)
    {
        var path = DefaultPath(target);
        var separator = setCookie.IndexOf(';', StringComparison.Ordinal);
        if (separator < 0)
        {
            return path;
        }

        foreach (var attribute in setCookie[(separator + 1)..].Split(';'))
        {
            var equals = attribute.IndexOf('=', StringComparison.Ordinal);
            var name = Trim(equals < 0 ? attribute : attribute[..equals], isSpace);
            var value = equals < 0 ? "" : Trim(attribute[(equals + 1)..], isSpace);
            if (name.Equals("Path", StringComparison.OrdinalIgnoreCase))
            {
                path = value.StartsWith('/') ? value : DefaultPath(target);
            }
        }

        return path;
    }

    private static string DefaultPath(string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var uriPath = query < 0 ? target : target[..query];
        var last = uriPath.LastIndexOf('/');
        return !uriPath.StartsWith('/') || last == 0 ? "/" : uriPath[..last];
    }

    private static string Trim(string text, Func<char, bool> isSpace)
    {
        var (start, end) = (0, text.Length);
        while (start < end && isSpace(text[start]))
        {
            start++;
        }

        while (end > start && isSpace(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }

    private static bool IsRfcSpace(char c) => c is ' ' or '\t';

    /// <summary>Path-match (RFC 6265 §5.1.4): requests under this path never reach beyond the prefix.</summary>
    private static bool IsUnderPrefix(string path) =>
        path == Prefix || path.StartsWith(Prefix + "/", StringComparison.Ordinal);
}
