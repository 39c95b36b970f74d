namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The <c>opensandbox-access</c> query parameter of a request target: found for the access check, and cut out of what
/// the sandbox receives and of the clean URL a browser is sent to. Other parameters keep their bytes and order.
/// </summary>
internal static class AccessParameter
{
    /// <summary>
    /// The parameter's value, percent-decoded, or null when the target has none; <paramref name="repeated"/> when it
    /// appears more than once, which the access check refuses rather than pick one.
    /// </summary>
    public static string? Find(string pathAndQuery, out bool repeated)
    {
        string? value = null;
        repeated = false;
        if (!MayHold(pathAndQuery, out _))
        {
            return null;
        }

        foreach (var (start, end) in Pairs(pathAndQuery))
        {
            if (IsParameter(pathAndQuery, start, end, out var valueStart))
            {
                repeated |= value is not null;
                value ??= Uri.UnescapeDataString(pathAndQuery[valueStart..end]);
            }
        }

        return value;
    }

    /// <summary>The target without any occurrence of the parameter; the target itself when it has none.</summary>
    public static string Remove(string pathAndQuery)
    {
        if (!MayHold(pathAndQuery, out var queryStart))
        {
            return pathAndQuery;
        }

        var kept = new List<string>();
        var found = false;
        foreach (var (start, end) in Pairs(pathAndQuery))
        {
            if (IsParameter(pathAndQuery, start, end, out _))
            {
                found = true;
            }
            else
            {
                kept.Add(pathAndQuery[start..end]);
            }
        }

        var path = pathAndQuery[..queryStart];
        return !found ? pathAndQuery : kept.Count == 0 ? path : path + "?" + string.Join('&', kept);
    }

    /// <summary>Most targets cannot hold it: no query, or neither the name nor an escape in it; those are not parsed.</summary>
    private static bool MayHold(string pathAndQuery, out int queryStart)
    {
        queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return queryStart >= 0
            && (pathAndQuery.Contains(BrowserCredentials.Parameter, StringComparison.Ordinal) || pathAndQuery.IndexOf('%', queryStart) >= 0);
    }

    /// <summary>
    /// Whether the pair is the parameter, its name compared percent-decoded as a server decodes it: an encoded name
    /// (<c>opensandbox%2Daccess</c>) would otherwise pass unseen to the sandbox, which reads it as the parameter.
    /// </summary>
    private static bool IsParameter(string pathAndQuery, int start, int end, out int valueStart)
    {
        var equals = pathAndQuery.IndexOf('=', start, end - start);
        var nameEnd = equals < 0 ? end : equals;
        valueStart = equals < 0 ? end : equals + 1;
        var name = pathAndQuery.AsSpan(start, nameEnd - start);
        return name.Contains('%')
            ? Uri.UnescapeDataString(name.ToString()) == BrowserCredentials.Parameter
            : name.SequenceEqual(BrowserCredentials.Parameter);
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
