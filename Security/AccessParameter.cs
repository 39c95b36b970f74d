namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The <c>opensandbox-access</c> query parameter of a request target: found for the access check, and cut out of what
/// the sandbox receives and of the clean URL a browser is sent to. Other parameters keep their bytes and order.
/// </summary>
internal static class AccessParameter
{
    private const string Name = BrowserCredentials.Parameter + "=";

    /// <summary>The parameter's value, percent-decoded, or null when the target has none.</summary>
    public static string? Find(string pathAndQuery)
    {
        foreach (var (start, end) in Pairs(pathAndQuery))
        {
            var pair = pathAndQuery.AsSpan(start, end - start);
            if (pair.StartsWith(Name, StringComparison.Ordinal))
            {
                return Uri.UnescapeDataString(pair[Name.Length..].ToString());
            }
        }

        return null;
    }

    /// <summary>The target without the parameter; the target itself when it has none.</summary>
    public static string Remove(string pathAndQuery)
    {
        var queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        if (queryStart < 0 || !pathAndQuery.Contains(Name, StringComparison.Ordinal))
        {
            return pathAndQuery;
        }

        var kept = new List<string>();
        foreach (var (start, end) in Pairs(pathAndQuery))
        {
            if (!pathAndQuery.AsSpan(start, end - start).StartsWith(Name, StringComparison.Ordinal))
            {
                kept.Add(pathAndQuery[start..end]);
            }
        }

        var path = pathAndQuery[..queryStart];
        return kept.Count == 0 ? path : path + "?" + string.Join('&', kept);
    }

    /// <summary>The start and end of each <c>&amp;</c>-separated pair of the query.</summary>
    private static IEnumerable<(int Start, int End)> Pairs(string pathAndQuery)
    {
        var queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        if (queryStart < 0)
        {
            yield break;
        }

        for (var start = queryStart + 1; start <= pathAndQuery.Length;)
        {
            var end = pathAndQuery.IndexOf('&', start);
            end = end < 0 ? pathAndQuery.Length : end;
            if (end > start)
            {
                yield return (start, end);
            }

            start = end + 1;
        }
    }
}
