namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The exact textual shapes of the two extra segments of a signed route (SPEC §4, §8):
/// <c>expires_b36</c> (1–13 lower-case base-36 digits) and <c>signature</c> (8 lower-case hex digits and a key id).
/// </summary>
internal static class SignedRouteSyntax
{
    public const int MaxExpiresLength = 13;
    public const int SignatureLength = 9;
    public const int DigestHexLength = 8;

    /// <summary>A key id is one lower-case base-36 digit.</summary>
    public static bool IsKeyId(char c) => IsBase36Digit(c);

    private static bool IsBase36Digit(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'z');

    private static bool IsLowerHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f');

    /// <summary>Shape only: lower-case base-36 characters of a plausible length.</summary>
    public static bool LooksLikeExpires(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || text.Length > MaxExpiresLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!IsBase36Digit(c))
            {
                return false;
            }
        }

        return true;
    }

    public static bool LooksLikeSignature(ReadOnlySpan<char> text)
    {
        if (text.Length != SignatureLength || !IsKeyId(text[DigestHexLength]))
        {
            return false;
        }

        foreach (var c in text[..DigestHexLength])
        {
            if (!IsLowerHex(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses <c>expires_b36</c>: no leading zero (except "0" itself), must fit in an unsigned 64-bit integer.</summary>
    public static bool TryParseExpires(ReadOnlySpan<char> text, out ulong seconds)
    {
        seconds = 0;
        if (!LooksLikeExpires(text) || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        foreach (var c in text)
        {
            var digit = (ulong)(c <= '9' ? c - '0' : c - 'a' + 10);
            if (seconds > (ulong.MaxValue - digit) / 36)
            {
                return false;
            }

            seconds = (seconds * 36) + digit;
        }

        return true;
    }

    /// <summary>Writes Unix seconds as <c>expires_b36</c>: lower-case base 36, no leading zero.</summary>
    public static string FormatExpires(ulong seconds)
    {
        Span<char> digits = stackalloc char[MaxExpiresLength];
        var at = digits.Length;
        do
        {
            var digit = (int)(seconds % 36);
            digits[--at] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
            seconds /= 36;
        }
        while (seconds > 0);

        return digits[at..].ToString();
    }
}
