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
    /// <summary>128 bits of the digest, written as 32 hex digits.</summary>
    private const int MacBytes = 16;

    private const int NonceBytes = 8;

    public static string Issue(SecureAccessKeys keys, string sandboxId, int port, string token, ulong expires) =>
        Sign(keys, keys.FirstId, "session", sandboxId, port, token, SignedRouteSyntax.FormatExpires(expires));

    public static string IssueHandoff(SecureAccessKeys keys, string sandboxId, int port, string token, ulong expires, ulong codeExpires)
    {
        Span<byte> nonce = stackalloc byte[NonceBytes];
        RandomNumberGenerator.Fill(nonce);
        return Sign(keys, keys.FirstId, "handoff", sandboxId, port, token,
            $"{SignedRouteSyntax.FormatExpires(expires)}.{SignedRouteSyntax.FormatExpires(codeExpires)}.{Convert.ToHexStringLower(nonce)}");
    }

    /// <summary>A session cookie value for this sandbox and port, unexpired at <paramref name="now"/>; its expiry.</summary>
    public static bool TryVerify(SecureAccessKeys keys, string value, string sandboxId, int port, string token, ulong now, out ulong expires)
    {
        expires = 0;
        var parts = value.Split('.');
        return parts.Length == 3 && Verify(keys, parts, "session", sandboxId, port, token)
            && SignedRouteSyntax.TryParseExpires(parts[1], out expires) && now <= expires;
    }

    /// <summary>A hand-off code for this sandbox and port whose own short life has not ended; the session's expiry.</summary>
    public static bool TryVerifyHandoff(SecureAccessKeys keys, string value, string sandboxId, int port, string token, ulong now, out ulong expires)
    {
        expires = 0;
        var parts = value.Split('.');
        return parts.Length == 5 && Verify(keys, parts, "handoff", sandboxId, port, token)
            && SignedRouteSyntax.TryParseExpires(parts[1], out expires) && now <= expires
            && SignedRouteSyntax.TryParseExpires(parts[2], out var codeExpires) && now <= codeExpires;
    }

    private static bool Verify(SecureAccessKeys keys, string[] parts, string kind, string sandboxId, int port, string token)
    {
        if (parts[0].Length != 1 || !keys.TryGetSecret(parts[0][0], out var secret))
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[MacBytes];
        var mac = parts[^1];
        if (mac.Length != MacBytes * 2 || Convert.FromHexString(mac, presented, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != MacBytes)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        RouteSigner.Digest(secret, Canonical(kind, sandboxId, port, token, string.Join('.', parts[1..^1])), digest);
        return CryptographicOperations.FixedTimeEquals(digest[..MacBytes], presented);
    }

    private static string Sign(SecureAccessKeys keys, char keyId, string kind, string sandboxId, int port, string token, string fields)
    {
        keys.TryGetSecret(keyId, out var secret);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        RouteSigner.Digest(secret, Canonical(kind, sandboxId, port, token, fields), digest);
        return $"{keyId}.{fields}.{Convert.ToHexStringLower(digest[..MacBytes])}";
    }

    /// <summary>The token enters as its digest: a changed token invalidates the value, and the text never holds it.</summary>
    private static string Canonical(string kind, string sandboxId, int port, string token, string fields) =>
        string.Create(CultureInfo.InvariantCulture,
            $"v1\nbrowser-{kind}\n{sandboxId}\n{port}\n{fields}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))}\n");
}
