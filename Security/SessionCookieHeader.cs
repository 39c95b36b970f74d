using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The <c>opensandbox-session</c> entries of a request's <c>Cookie</c> header: read for the access check, and removed
/// before the sandbox sees the request. Split by hand rather than parsed and formatted again, so the other cookies reach
/// the sandbox byte for byte.
/// </summary>
internal static class SessionCookieHeader
{
    private const string Prefix = BrowserCredentials.Cookie + "=";

    public static IEnumerable<string> Values(IHeaderDictionary headers)
    {
        foreach (var line in headers.Cookie)
        {
            if (line is null || !line.Contains(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var (start, length) in Entries(line))
            {
                if (line.AsSpan(start, length).StartsWith(Prefix, StringComparison.Ordinal))
                {
                    yield return line.Substring(start + Prefix.Length, length - Prefix.Length);
                }
            }
        }
    }

    /// <summary>
    /// Each <c>;</c>-separated entry of a line, without the whitespace around it, found with IndexOf: a hostile line of
    /// thousands of separators costs no array of strings.
    /// </summary>
    private static IEnumerable<(int Start, int Length)> Entries(string line)
    {
        for (var start = 0; start < line.Length;)
        {
            var end = line.IndexOf(';', start);
            end = end < 0 ? line.Length : end;
            var entry = line.AsSpan(start, end - start);
            var trimmedStart = start + (entry.Length - entry.TrimStart().Length);
            var length = entry.Trim().Length;
            if (length > 0)
            {
                yield return (trimmedStart, length);
            }

            start = end + 1;
        }
    }

    /// <summary>
    /// Removes the session entries; a line without one is kept as it is, a line left empty goes, and so does a header
    /// left empty.
    /// </summary>
    public static void Remove(IHeaderDictionary headers)
    {
        var lines = headers.Cookie;
        if (!HasSessionEntry(lines))
        {
            return;
        }

        var kept = new List<string>();
        foreach (var line in lines)
        {
            if (WithoutSession(line!) is { Length: > 0 } rest)
            {
                kept.Add(rest);
            }
        }

        if (kept.Count == 0)
        {
            headers.Remove(HeaderNames.Cookie);
        }
        else
        {
            headers.Cookie = kept.ToArray();
        }
    }

    /// <summary>
    /// The line without its session entries: the line itself when it has none, else the other entries with the
    /// separator that followed each in the line.
    /// </summary>
    private static string WithoutSession(string line)
    {
        StringBuilder? rest = null;
        var keptEnd = -1;
        var gapEnd = -1;
        foreach (var (start, length) in Entries(line))
        {
            if (line.AsSpan(start, length).StartsWith(Prefix, StringComparison.Ordinal))
            {
                rest ??= new StringBuilder(line.Length).Append(line, 0, Math.Max(keptEnd, 0));
                gapEnd = gapEnd < 0 && keptEnd >= 0 ? start : gapEnd;
                continue;
            }

            if (rest is not null && keptEnd >= 0)
            {
                rest.Append(line, keptEnd, (gapEnd < 0 ? start : gapEnd) - keptEnd);
            }

            rest?.Append(line, start, length);
            keptEnd = start + length;
            gapEnd = -1;
        }

        return rest?.ToString() ?? line;
    }

    /// <summary>A plain loop: this runs on every request, and LINQ over <see cref="StringValues"/> would box it.</summary>
    private static bool HasSessionEntry(StringValues lines)
    {
        foreach (var line in lines)
        {
            if (line is not null && line.Contains(Prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
