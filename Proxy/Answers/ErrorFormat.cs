using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace OpenSandbox.Ingress.Proxy.Answers;

/// <summary>The three forms of an answer the ingress gives itself.</summary>
internal enum ErrorFormat
{
    PlainText,
    Json,
    Html,
}

/// <summary>
/// Picks the form from <c>Accept</c> (RFC 9110 §12.5.1): each form gets the quality of the most specific media range
/// that matches it (<c>text/html</c> before <c>text/*</c> before <c>*/*</c>), and the best wins. Ties go to plain text,
/// then JSON, so <c>*/*</c> alone, no <c>Accept</c> and anything unrecognised get today's one line, and a browser's
/// <c>text/html,…,*/*;q=0.8</c> gets the page.
/// </summary>
internal static class ErrorFormats
{
    private static readonly MediaTypeHeaderValue PlainText = new("text/plain");
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly MediaTypeHeaderValue Html = new("text/html");

    public static ErrorFormat Negotiate(StringValues accept)
    {
        // Ranges that do not parse are skipped, as if the client had not sent them.
        if (accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var ranges))
        {
            return ErrorFormat.PlainText;
        }

        var plain = Quality(ranges, PlainText);
        var json = Quality(ranges, Json);
        var html = Quality(ranges, Html);
        return plain >= json && plain >= html ? ErrorFormat.PlainText
            : json >= html ? ErrorFormat.Json
            : ErrorFormat.Html;
    }

    /// <summary>The quality of the most specific range that <paramref name="form"/> falls under; 0 when none does.</summary>
    private static double Quality(IList<MediaTypeHeaderValue> ranges, MediaTypeHeaderValue form)
    {
        var (specificity, quality) = (-1, 0.0);
        foreach (var range in ranges)
        {
            var rangeSpecificity = range.MatchesAllTypes ? 0 : range.MatchesAllSubTypes ? 1 : 2;
            if (rangeSpecificity > specificity && form.IsSubsetOf(range))
            {
                (specificity, quality) = (rangeSpecificity, Math.Clamp(range.Quality ?? 1, 0, 1));
            }
        }

        return quality;
    }
}
