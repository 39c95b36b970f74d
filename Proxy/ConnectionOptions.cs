namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The header fields a <c>Connection</c> field names are hop-by-hop (RFC 9110 §7.6.1) and stop at the ingress. YARP
/// drops the fixed hop-by-hop set; these are the rest.
/// </summary>
internal static class ConnectionOptions
{
    /// <summary>
    /// The field names listed in the values of a <c>Connection</c> field. <c>close</c> names no field, and
    /// <c>keep-alive</c> and <c>upgrade</c> are in YARP's set already (an upgrade's own headers are restored by it);
    /// anything that is not a valid field name is ignored.
    /// </summary>
    public static IEnumerable<string> NamedFields(IEnumerable<string?> connectionValues)
    {
        foreach (var value in connectionValues)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!token.Equals("close", StringComparison.OrdinalIgnoreCase) && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    && !token.Equals("upgrade", StringComparison.OrdinalIgnoreCase) && IsToken(token))
                {
                    yield return token;
                }
            }
        }
    }

    /// <summary>RFC 9110 §5.6.2 <c>token</c>: the characters a field name may have.</summary>
    private static bool IsToken(string text) => !text.AsSpan().ContainsAnyExcept(TokenCharacters);

    private static readonly System.Buffers.SearchValues<char> TokenCharacters =
        System.Buffers.SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}
