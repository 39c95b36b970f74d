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
    /// <summary>SP and HTAB, what RFC 6265 §5.2 trims.</summary>
    private const string CookieSpace = " \t";

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

    /// <summary>
    /// A <c>Set-Cookie</c> value with every <c>Path</c> attribute placed under the prefix, so that the path a browser
    /// takes (RFC 6265 §5.2, §5.3: the last <c>Path</c> attribute, its name matched case-insensitively, name and value
    /// trimmed, a value not starting with <c>/</c> meaning the default path) never leaves it: <c>Path=/</c> becomes the
    /// prefix, <c>Path=/x</c> becomes prefix + <c>/x</c>, a value not starting with <c>/</c> (or none) becomes the
    /// prefix, and a path already under the prefix stays. Returns <paramref name="setCookie"/> itself when nothing
    /// changes; otherwise one string is allocated, however many attributes are rewritten.
    /// </summary>
    /// <param name="defaultPathLeavesPrefix">
    /// What <see cref="DefaultCookiePathLeavesPrefix"/> says of the request. A cookie without <c>Path</c> is left alone
    /// (nothing allocated), since a browser gives it the directory of the request path, which is under the prefix,
    /// except when the request's path was the prefix itself: there the directory is the prefix's parent
    /// (<c>/{id}</c>, shared by every port of the sandbox), so <c>Path={prefix}</c> is added.
    /// </param>
    public static string CookiePath(string setCookie, string prefix, bool defaultPathLeavesPrefix)
    {
        var length = PlaceCookiePath(setCookie, prefix, defaultPathLeavesPrefix, []);
        return length < 0
            ? setCookie
            : string.Create(length, (setCookie, prefix, defaultPathLeavesPrefix), static (into, state) => PlaceCookiePath(state.setCookie, state.prefix, state.defaultPathLeavesPrefix, into));
    }

    /// <summary>
    /// Whether a cookie's default path (RFC 6265 §5.1.4: the request path up to, not including, its last <c>/</c>) for
    /// this origin-form request target leaves <paramref name="prefix"/>: it does when the path is the prefix itself.
    /// </summary>
    public static bool DefaultCookiePathLeavesPrefix(string requestTarget, string prefix)
    {
        var queryStart = requestTarget.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? requestTarget.AsSpan() : requestTarget.AsSpan(0, queryStart);
        return !(path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path[prefix.Length] == '/');
    }

    /// <summary>
    /// One walk over the attributes of <paramref name="setCookie"/>: returns -1 when nothing changes, otherwise the
    /// length of the rewritten value, which is written into <paramref name="into"/> unless that is empty (measuring).
    /// </summary>
    private static int PlaceCookiePath(string setCookie, string prefix, bool defaultPathLeavesPrefix, Span<char> into)
    {
        var written = 0;
        var copied = 0;
        var changed = false;
        var hasPath = false;

        // Attributes follow the first ';' (the cookie's value cannot hide one: RFC 6265 §5.2 knows no quoting).
        for (var separator = setCookie.IndexOf(';', StringComparison.Ordinal); separator >= 0;)
        {
            var start = separator + 1;
            var next = setCookie.IndexOf(';', start);
            var end = next < 0 ? setCookie.Length : next;
            separator = next;

            var attribute = setCookie.AsSpan(start, end - start);
            var equals = attribute.IndexOf('=');
            var name = equals < 0 ? attribute : attribute[..equals];
            if (!TrimName(name).Equals("path", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // Only a name that is Path by the RFC's own trimming spares the added Path below.
            hasPath |= name.Trim(CookieSpace).Equals("path", StringComparison.OrdinalIgnoreCase);
            int at, remove;
            var addEquals = equals < 0;
            if (addEquals)
            {
                // "; Path" alone: the value is empty, which means the default path.
                (at, remove) = (end, 0);
            }
            else
            {
                // The value trimmed of SP and HTAB only, as RFC 6265 says: a browser trimming more still finds the prefix
                // there, since anything else before the '/' makes the whole value be replaced.
                var valueStart = start + equals + 1;
                var value = setCookie.AsSpan(valueStart, end - valueStart);
                var leading = value.Length - value.TrimStart(CookieSpace).Length;
                value = value.Trim(CookieSpace);
                if (value.StartsWith(prefix, StringComparison.Ordinal) && (value.Length == prefix.Length || value[prefix.Length] == '/'))
                {
                    continue;
                }

                // "/" becomes the prefix, "/x" the prefix + "/x"; a value not starting with '/' (empty too) the prefix.
                at = valueStart + leading;
                remove = !value.StartsWith('/') || value.Length == 1 ? value.Length : 0;
            }

            Copy(setCookie.AsSpan(copied, at - copied), into, ref written);
            Copy(addEquals ? "=" : "", into, ref written);
            Copy(prefix, into, ref written);
            copied = at + remove;
            changed = true;
        }

        if (!hasPath && defaultPathLeavesPrefix)
        {
            Copy(setCookie.AsSpan(copied), into, ref written);
            Copy("; Path=", into, ref written);
            Copy(prefix, into, ref written);
            return written;
        }

        if (!changed)
        {
            return -1;
        }

        Copy(setCookie.AsSpan(copied), into, ref written);
        return written;
    }

    /// <summary>Counts <paramref name="text"/> and, unless measuring, writes it.</summary>
    private static void Copy(ReadOnlySpan<char> text, Span<char> into, ref int written)
    {
        if (!into.IsEmpty)
        {
            text.CopyTo(into[written..]);
        }

        written += text.Length;
    }

    /// <summary>
    /// An attribute name trimmed of more than RFC 6265's SP and HTAB (any space or control character): taking an
    /// attribute that some browser would not read as <c>Path</c> for one only costs a harmless rewrite, missing one
    /// that a lenient browser reads would let its path out.
    /// </summary>
    private static ReadOnlySpan<char> TrimName(ReadOnlySpan<char> name)
    {
        var first = 0;
        while (first < name.Length && IsLooseSpace(name[first]))
        {
            first++;
        }

        var last = name.Length;
        while (last > first && IsLooseSpace(name[last - 1]))
        {
            last--;
        }

        return name[first..last];
    }

    private static bool IsLooseSpace(char c) => char.IsWhiteSpace(c) || char.IsControl(c);

    private static bool IsUnder(ReadOnlySpan<char> path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] is '/' or '?' or '#');
}
