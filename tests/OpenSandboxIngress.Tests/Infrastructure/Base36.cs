namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Writes <c>expires_b36</c> as signers do: lower-case base 36, no leading zeros, "0" for zero (SPEC §8).</summary>
internal static class Base36
{
    public static string Format(ulong value)
    {
        if (value == 0)
        {
            return "0";
        }

        var digits = new Stack<char>();
        while (value > 0)
        {
            var digit = (int)(value % 36);
            digits.Push((char)(digit < 10 ? '0' + digit : 'a' + digit - 10));
            value /= 36;
        }

        return new string([.. digits]);
    }
}
