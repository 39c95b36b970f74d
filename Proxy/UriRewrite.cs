namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// URI mode keeps web apps under their prefix (SPEC §7, <c>--uri-rewrite</c>), as nginx's <c>proxy_redirect default</c>
/// and <c>proxy_cookie_path</c> do: a redirect to <c>/login</c> becomes <c>/{id}/{port}/login</c>, an absolute URL
/// naming the sandbox's own address or the request's Host is moved to the client's scheme, Host and prefix, and a
/// cookie's <c>Path=/</c> becomes the prefix, so cookies of two sandboxes never meet. A URL already under the prefix
/// (an app that reads <c>X-Forwarded-Prefix</c>) and URLs of other sites are left alone.
/// </summary>
internal static class UriRewrite
{
    /// <param name="prefix"><c>/{id}/{port}</c>, as stripped from the request.</param>
    /// <param name="sandboxAuthority">The sandbox's <c>endpoint:port</c>.</param>
    /// <param name="clientOrigin"><c>scheme://host</c> of the request, as the client sent it.</param>
    public static string Location(string value, string prefix, string sandboxAuthority, string clientHost, string clientOrigin)
    {
        var url = value.AsSpan().Trim();
        if (url.StartsWith('/') && !url.StartsWith("//"))
        {
            return IsUnder(url, prefix) ? value : prefix + url.ToString();
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0 || !(url[..schemeEnd].Equals("http", StringComparison.OrdinalIgnoreCase) || url[..schemeEnd].Equals("https", StringComparison.OrdinalIgnoreCase)))
        {
            return value;
        }

        var rest = url[(schemeEnd + 3)..];
        var pathStart = rest.IndexOfAny('/', '?', '#');
        var authority = pathStart < 0 ? rest : rest[..pathStart];
        var path = pathStart < 0 ? "/" : rest[pathStart] == '/' ? rest[pathStart..] : "/" + rest[pathStart..].ToString();
        var ours = authority.Equals(sandboxAuthority, StringComparison.OrdinalIgnoreCase) || authority.Equals(clientHost, StringComparison.OrdinalIgnoreCase);
        if (!ours)
        {
            return value;
        }

        return IsUnder(path, prefix) ? clientOrigin + path.ToString() : clientOrigin + prefix + path.ToString();
    }

    /// <summary><c>Refresh: 5; url=/next</c>: the URL part is a location.</summary>
    public static string Refresh(string value, string prefix, string sandboxAuthority, string clientHost, string clientOrigin)
    {
        var at = value.IndexOf("url=", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return value;
        }

        var start = at + "url=".Length;
        var quote = start < value.Length && value[start] is '\'' or '"' ? value[start] : '\0';
        var urlStart = quote == '\0' ? start : start + 1;
        var urlEnd = quote == '\0' ? value.Length : value.IndexOf(quote, urlStart) is var q and >= 0 ? q : value.Length;
        var rewritten = Location(value[urlStart..urlEnd], prefix, sandboxAuthority, clientHost, clientOrigin);
        return value[..urlStart] + rewritten + value[urlEnd..];
    }

    /// <summary>The <c>Path</c> attribute of a <c>Set-Cookie</c> value, placed under the prefix.</summary>
    public static string CookiePath(string setCookie, string prefix)
    {
        // Attributes follow the first ';': "name=value; Path=/; HttpOnly".
        for (var separator = setCookie.IndexOf(';', StringComparison.Ordinal); separator >= 0;)
        {
            var next = setCookie.IndexOf(';', separator + 1);
            var end = next < 0 ? setCookie.Length : next;
            var start = separator + 1;
            while (start < end && setCookie[start] == ' ')
            {
                start++;
            }

            if (setCookie.AsSpan(start, end - start).StartsWith("path=", StringComparison.OrdinalIgnoreCase))
            {
                var pathStart = start + "path=".Length;
                var path = setCookie.AsSpan(pathStart, end - pathStart).TrimEnd();
                if (!path.StartsWith('/') || IsUnder(path, prefix))
                {
                    return setCookie;
                }

                var placed = path.Length == 1 ? prefix : prefix + path.ToString();
                return string.Concat(setCookie.AsSpan(0, pathStart), placed, setCookie.AsSpan(pathStart + path.Length));
            }

            separator = next;
        }

        return setCookie;
    }

    private static bool IsUnder(ReadOnlySpan<char> path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] is '/' or '?' or '#');
}
