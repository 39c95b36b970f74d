using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The signed, stateless values of browser sessions (SPEC §8): the cookie <c>{key}.{expires_b36}.{mac}</c> and the
/// short-lived hand-off code <c>{key}.{expires_b36}.{code_expires_b36}.{nonce}.{mac}</c> that carries a session from a
/// signed host to its unsigned one; its 64-bit random nonce tells apart two codes issued in the same second, which a
/// replica spends one by one. The MAC is the signed-route construction (<see cref="RouteSigner.Digest"/>) over the
/// sandbox, the port, the expiries and a digest of the sandbox's token, with the key the value names: any replica holding
/// the keys accepts it, and it stops working when the token or that key changes.
/// </summary>
internal static class BrowserSessionToken
{
    /// <summary>
    /// Longer than any value the ingress issues (a hand-off code is about 70 characters); anything longer is refused
    /// before it is parsed, so a hostile cookie or parameter costs no more than a real one.
    /// </summary>
    public const int MaxLength = 256;

    /// <summary>128 bits of the digest, written as 32 hex digits.</summary>
    private const int MacBytes = 16;

    private const int NonceBytes = 8;

    /// <summary>The token as the values hold it: computed once per request, however many values it checks.</summary>
    public static string TokenDigest(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static string Issue(SecureAccessKeys keys, string sandboxId, int port, string token, ulong expires) =>
        Sign(keys, keys.FirstId, "session", sandboxId, port, TokenDigest(token), SignedRouteSyntax.FormatExpires(expires));

    public static string IssueHandoff(SecureAccessKeys keys, string sandboxId, int port, string token, ulong expires, ulong codeExpires)
    {
        Span<byte> nonce = stackalloc byte[NonceBytes];
        RandomNumberGenerator.Fill(nonce);
        return Sign(keys, keys.FirstId, "handoff", sandboxId, port, TokenDigest(token),
            $"{SignedRouteSyntax.FormatExpires(expires)}.{SignedRouteSyntax.FormatExpires(codeExpires)}.{Convert.ToHexStringLower(nonce)}");
    }

    /// <summary>A session cookie value for this sandbox and port, unexpired at <paramref name="now"/>; its expiry.</summary>
    /// <param name="tokenDigest">The sandbox's token through <see cref="TokenDigest"/>.</param>
    public static bool TryVerify(SecureAccessKeys keys, string value, string sandboxId, int port, string tokenDigest, ulong now, out ulong expires)
    {
        expires = 0;
        return TryVerify(keys, value, fieldCount: 1, "session", sandboxId, port, tokenDigest, out var fields)
            && SignedRouteSyntax.TryParseExpires(fields, out expires) && now <= expires;
    }

    /// <summary>A hand-off code for this sandbox and port whose own short life has not ended; the session's expiry.</summary>
    /// <param name="tokenDigest">The sandbox's token through <see cref="TokenDigest"/>.</param>
    public static bool TryVerifyHandoff(SecureAccessKeys keys, string value, string sandboxId, int port, string tokenDigest, ulong now, out ulong expires)
    {
        expires = 0;
        if (!TryVerify(keys, value, fieldCount: 3, "handoff", sandboxId, port, tokenDigest, out var fields))
        {
            return false;
        }

        var first = fields.IndexOf('.');
        var codeFields = fields[(first + 1)..];
        return SignedRouteSyntax.TryParseExpires(fields[..first], out expires) && now <= expires
            && SignedRouteSyntax.TryParseExpires(codeFields[..codeFields.IndexOf('.')], out var codeExpires) && now <= codeExpires;
    }

    /// <summary>
    /// <c>{key}.{fields}.{mac}</c> with <paramref name="fieldCount"/> dot-separated fields and a MAC that holds; read with
    /// IndexOf on a bounded value, so a hostile one allocates nothing before it is refused.
    /// </summary>
    private static bool TryVerify(SecureAccessKeys keys, string value, int fieldCount, string kind, string sandboxId, int port, string tokenDigest,
        out ReadOnlySpan<char> fields)
    {
        fields = default;
        var macStart = value.LastIndexOf('.') + 1;
        if (value.Length > MaxLength || value.Length < 3 || value[1] != '.' || macStart < 3
            || value.AsSpan(2, macStart - 3).Count('.') != fieldCount - 1 || !keys.TryGetSecret(value[0], out var secret))
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[MacBytes];
        var mac = value.AsSpan(macStart);
        if (mac.Length != MacBytes * 2 || Convert.FromHexString(mac, presented, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != MacBytes)
        {
            return false;
        }

        fields = value.AsSpan(2, macStart - 3);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        RouteSigner.Digest(secret, Canonical(kind, sandboxId, port, tokenDigest, fields), digest);
        return CryptographicOperations.FixedTimeEquals(digest[..MacBytes], presented);
    }

    private static string Sign(SecureAccessKeys keys, char keyId, string kind, string sandboxId, int port, string tokenDigest, string fields)
    {
        keys.TryGetSecret(keyId, out var secret);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        RouteSigner.Digest(secret, Canonical(kind, sandboxId, port, tokenDigest, fields), digest);
        return $"{keyId}.{fields}.{Convert.ToHexStringLower(digest[..MacBytes])}";
    }

    /// <summary>The token enters as its digest: a changed token invalidates the value, and the text never holds it.</summary>
    private static string Canonical(string kind, string sandboxId, int port, string tokenDigest, ReadOnlySpan<char> fields) =>
        string.Create(CultureInfo.InvariantCulture, $"v1\nbrowser-{kind}\n{sandboxId}\n{port}\n{fields}\n{tokenDigest}\n");
}
