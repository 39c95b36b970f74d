using System.Buffers;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>The few pieces of HTTP/1.1 syntax both head parsers need, and the one way bytes are appended.</summary>
internal static class HttpSyntax
{
    private static readonly SearchValues<byte> TokenCharacters =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>A header name: one or more <c>tchar</c> (RFC 9110 §5.6.2).</summary>
    public static bool IsToken(ReadOnlySpan<byte> name) => !name.IsEmpty && !name.ContainsAnyExcept(TokenCharacters);

    /// <summary>A length: ASCII digits only, at most <paramref name="maxDigits"/> of them (so it cannot overflow).</summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> digits, int maxDigits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > maxDigits || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return false;
        }

        foreach (var digit in digits)
        {
            value = (value * 10) + (digit - '0');
        }

        return true;
    }

    public static void Append(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
