using System.Buffers;
using Microsoft.Extensions.Primitives;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The header fields a <c>Connection</c> field names are hop-by-hop (RFC 9110 §7.6.1) and stop at the ingress. YARP
/// drops the fixed hop-by-hop set; these are the rest.
/// </summary>
internal static class ConnectionOptions
{
    private static readonly SearchValues<char> TokenCharacters =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Removes from <paramref name="target"/> every field the <c>Connection</c> values name.</summary>
    public static void RemoveNamedFields<T>(StringValues connectionValues, T target, Action<T, string> remove)
    {
        foreach (var value in connectionValues)
        {
            foreach (var name in NamedFields(value))
            {
                remove(target, name);
            }
        }
    }

    /// <summary>
    /// The field names one value of a <c>Connection</c> field lists. <c>close</c> names no field, and <c>keep-alive</c>
    /// and <c>upgrade</c> are in YARP's set already (an upgrade's own headers are restored by it); anything that is not
    /// a valid field name is ignored. A value of those options alone, what browsers send, allocates nothing.
    /// </summary>
    public static string[] NamedFields(string? connectionValue)
    {
        List<string>? names = null;
        var value = connectionValue.AsSpan();
        foreach (var range in value.Split(','))
        {
            var token = value[range].Trim();
            if (!token.IsEmpty && !token.Equals("close", StringComparison.OrdinalIgnoreCase) && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                && !token.Equals("upgrade", StringComparison.OrdinalIgnoreCase) && !token.ContainsAnyExcept(TokenCharacters))
            {
                (names ??= []).Add(token.ToString());
            }
        }

        return names is null ? [] : [.. names];
    }
}
