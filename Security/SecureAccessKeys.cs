using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The signing keys of signed routes (SPEC §8), parsed from <c>a=BASE64,b=BASE64</c>.
/// A key id is one character <c>[0-9a-z]</c>; the value may also be written <c>base64:...</c>. Whitespace around
/// ids and values and empty segments are ignored; a text of only whitespace means no keys.
/// </summary>
internal sealed class SecureAccessKeys
{
    public static readonly SecureAccessKeys None = new(FrozenDictionary<char, byte[]>.Empty);

    private readonly FrozenDictionary<char, byte[]> _secrets;

    private SecureAccessKeys(FrozenDictionary<char, byte[]> secrets, char firstId = default)
    {
        _secrets = secrets;
        FirstId = firstId;
    }

    /// <summary>The key listed first: what the ingress signs with itself (browser sessions).</summary>
    public char FirstId { get; }

    public bool IsEmpty => _secrets.Count == 0;

    public int Count => _secrets.Count;

    public bool TryGetSecret(char keyId, [NotNullWhen(true)] out byte[]? secret) => _secrets.TryGetValue(keyId, out secret);

    public static bool TryParse(string? text, [NotNullWhen(true)] out SecureAccessKeys? keys, [NotNullWhen(false)] out string? error)
    {
        keys = None;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var secrets = new Dictionary<char, byte[]>();
        var firstId = default(char);
        // As the Go ingress reads the flag: whitespace around ids and secrets is trimmed, empty segments are skipped.
        foreach (var segment in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParseSegment(segment, out var id, out var secret, out var problem))
            {
                keys = null;
                error = $"segment '{Redact(segment)}': {problem}";
                return false;
            }

            firstId = secrets.Count == 0 ? id : firstId;
            if (!secrets.TryAdd(id, secret))
            {
                keys = null;
                error = $"segment '{Redact(segment)}': key id '{id}' given twice";
                return false;
            }
        }

        keys = new SecureAccessKeys(secrets.ToFrozenDictionary(), firstId);
        return true;
    }

    private static bool TryParseSegment(string segment, out char id, [NotNullWhen(true)] out byte[]? secret, [NotNullWhen(false)] out string? problem)
    {
        id = default;
        secret = null;
        var equals = segment.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            problem = "expected id=base64";
            return false;
        }

        var idText = segment.AsSpan(0, equals).Trim();
        if (idText.Length != 1 || !SignedRouteSyntax.IsKeyId(idText[0]))
        {
            problem = "the key id must be one character 0-9 or a-z";
            return false;
        }

        id = idText[0];
        var value = segment.AsSpan(equals + 1).Trim();
        if (value.StartsWith("base64:", StringComparison.Ordinal))
        {
            value = value["base64:".Length..];
        }

        var buffer = new byte[value.Length];
        if (!Convert.TryFromBase64Chars(value, buffer, out var written))
        {
            problem = "the secret is not valid base64";
            return false;
        }

        if (written == 0)
        {
            problem = "the secret is empty";
            return false;
        }

        secret = buffer[..written];
        problem = null;
        return true;
    }

    /// <summary>Error messages name the segment by its key id only: the secret never reaches a log.</summary>
    private static string Redact(string segment)
    {
        var equals = segment.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? "(no '=')" : segment[..equals] + "=…";
    }
}
