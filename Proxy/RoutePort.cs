namespace OpenSandbox.Ingress.Proxy;

/// <summary>Port syntax of SPEC §4.3: decimal digits only, no sign, no leading zero, 1–65535.</summary>
internal static class RoutePort
{
    public const int Max = 65535;

    public static bool TryParse(ReadOnlySpan<char> text, out int port)
    {
        port = 0;
        if (text.IsEmpty || text.Length > 5 || text[0] == '0')
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                port = 0;
                return false;
            }

            port = (port * 10) + (c - '0');
        }

        if (port > Max)
        {
            port = 0;
            return false;
        }

        return true;
    }

    /// <summary>Digits only, any length: enough for a segment to be read as the port of a signed label.</summary>
    public static bool HasDigitShape(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');
}
