using System.Security.Cryptography;
using System.Text;

namespace OpenSandbox.Ingress.Sandbox;

/// <summary>The agent-sandbox rule (SPEC §6.2) that turns any sandbox id into a valid DNS-1035 label.</summary>
internal static class Dns1035Label
{
    private const int MaxLength = 63;
    private const int CutLength = 54;
    private const string Prefix = "sandbox";

    public static string FromSandboxId(string sandboxId)
    {
        if (IsValidLabel(sandboxId))
        {
            return sandboxId;
        }

        var label = Collapse(sandboxId);
        if (label.Length == 0)
        {
            return Prefix + "-" + Hash8(sandboxId);
        }

        if (!char.IsAsciiLetterLower(label[0]))
        {
            label = Prefix + "-" + label;
        }

        if (label.Length > MaxLength)
        {
            label = label[..CutLength].TrimEnd('-');
            if (!char.IsAsciiLetterLower(label[0]))
            {
                label = Prefix;
            }

            label += "-" + Hash8(sandboxId);
        }

        return label;
    }

    /// <summary>The fast path: ids that are already labels come back unchanged, without allocation.</summary>
    private static bool IsValidLabel(string id)
    {
        if (id.Length is 0 or > MaxLength || !char.IsAsciiLetterLower(id[0]) || id[^1] == '-')
        {
            return false;
        }

        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            var allowed = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || (c == '-' && id[i - 1] != '-');
            if (!allowed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Lower-case; each run of characters outside [a-z0-9-] and of '-' becomes one '-'; '-' trimmed.</summary>
    private static string Collapse(string id)
    {
        var builder = new StringBuilder(id.Length);
        foreach (var raw in id.ToLowerInvariant())
        {
            var c = char.IsAsciiLetterLower(raw) || char.IsAsciiDigit(raw) ? raw : '-';
            if (c == '-' && (builder.Length == 0 || builder[^1] == '-'))
            {
                continue;
            }

            builder.Append(c);
        }

        return builder.ToString().TrimEnd('-');
    }

    private static string Hash8(string sandboxId)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(sandboxId), digest);
        return Convert.ToHexStringLower(digest[..4]);
    }
}
