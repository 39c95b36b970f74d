using Microsoft.Extensions.Primitives;

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
    public static ErrorFormat Negotiate(StringValues accept)
    {
        if (accept.Count == 0)
        {
            return ErrorFormat.PlainText;
        }

        var plain = Quality(accept, "text", "plain");
        var json = Quality(accept, "application", "json");
        var html = Quality(accept, "text", "html");
        return plain >= json && plain >= html ? ErrorFormat.PlainText
            : json >= html ? ErrorFormat.Json
            : ErrorFormat.Html;
    }

    private static double Quality(StringValues accept, string type, string subtype)
    {
        var (specificity, quality) = (-1, 0.0);
        foreach (var value in accept)
        {
            foreach (var range in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parameters = range.Split(';', StringSplitOptions.TrimEntries);
                var slash = parameters[0].IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0)
                {
                    continue;
                }

                var (rangeType, rangeSubtype) = (parameters[0][..slash], parameters[0][(slash + 1)..]);
                var matches = rangeType == "*" ? rangeSubtype == "*"
                    : rangeType.Equals(type, StringComparison.OrdinalIgnoreCase)
                      && (rangeSubtype == "*" || rangeSubtype.Equals(subtype, StringComparison.OrdinalIgnoreCase));
                var rangeSpecificity = rangeType == "*" ? 0 : rangeSubtype == "*" ? 1 : 2;
                if (matches && rangeSpecificity > specificity)
                {
                    (specificity, quality) = (rangeSpecificity, QualityOf(parameters));
                }
            }
        }

        return quality;
    }

    private static double QualityOf(string[] parameters)
    {
        foreach (var parameter in parameters.AsSpan(1))
        {
            if (parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                && double.TryParse(parameter.AsSpan(2), System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var q))
            {
                return Math.Clamp(q, 0, 1);
            }
        }

        return 1;
    }
}
