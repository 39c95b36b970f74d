using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>
/// A Redis address written <c>redis://[user:pass@]host:port/db</c> or <c>rediss://</c> (TLS).
/// <see cref="ToString"/> never shows the password, so the value is safe to log.
/// </summary>
internal sealed record RedisDsn(string Host, int Port, string? User, string? Password, int Database, bool UseTls)
{
    public const int DefaultRedisPort = 6379;

    public static RedisDsn Parse(string text) =>
        TryParse(text, out var dsn, out var error) ? dsn : throw new FormatException(error);

    public static bool TryParse(string text, [NotNullWhen(true)] out RedisDsn? dsn, [NotNullWhen(false)] out string? error)
    {
        dsn = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            error = "not a URL (expected redis://[user:pass@]host:port/db)";
            return false;
        }

        var useTls = uri.Scheme switch
        {
            "redis" => false,
            "rediss" => true,
            _ => (bool?)null,
        };
        if (useTls is null)
        {
            error = $"scheme '{uri.Scheme}' is not redis or rediss";
            return false;
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            error = "no host";
            return false;
        }

        if (!TryParseDatabase(uri.AbsolutePath, out var database))
        {
            error = "the path must be a database number such as /0";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = "query strings and fragments are not supported";
            return false;
        }

        var (user, password) = SplitUserInfo(uri.UserInfo);
        dsn = new RedisDsn(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? DefaultRedisPort : uri.Port, user, password, database, useTls.Value);
        error = null;
        return true;
    }

    public override string ToString() =>
        $"{(UseTls ? "rediss" : "redis")}://{(User is null && Password is null ? "" : $"{User}:***@")}{Host}:{Port}/{Database}";

    private static bool TryParseDatabase(string path, out int database)
    {
        database = 0;
        var digits = path.AsSpan().TrimStart('/');
        return digits.IsEmpty
            || (!digits.ContainsAnyExcept("0123456789")
                && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out database));
    }

    private static (string? User, string? Password) SplitUserInfo(string userInfo)
    {
        if (userInfo.Length == 0)
        {
            return (null, null);
        }

        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            // redis://secret@host is the common shorthand for a password without a user name.
            return (null, Uri.UnescapeDataString(userInfo));
        }

        var user = Uri.UnescapeDataString(userInfo[..colon]);
        return (user.Length == 0 ? null : user, Uri.UnescapeDataString(userInfo[(colon + 1)..]));
    }
}
