using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OpenSandbox.Ingress.Security;

/// <summary>
/// The digest of a signed route (SPEC §8): the first 8 lower-case hex digits of
/// SHA-256(BE32(len(secret)) ‖ secret ‖ BE32(len(canonical)) ‖ canonical), with
/// canonical = "v1\nshort\n{sandbox_id}\n{port}\n{expires_b36}\n".
/// </summary>
internal static class RouteSigner
{
    public static string Digest8(ReadOnlySpan<byte> secret, string sandboxId, int port, string expiresB36)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeDigest(secret, sandboxId, port, expiresB36, digest);
        return Convert.ToHexStringLower(digest[..4]);
    }

    /// <summary>Compares the 8 hex digits of a presented signature in fixed time.</summary>
    public static bool Verify(ReadOnlySpan<byte> secret, string sandboxId, int port, string expiresB36, ReadOnlySpan<char> presentedHex8)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeDigest(secret, sandboxId, port, expiresB36, digest);
        Span<byte> presented = stackalloc byte[4];
        return Convert.FromHexString(presentedHex8, presented, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == 4
            && CryptographicOperations.FixedTimeEquals(digest[..4], presented);
    }

    private static void ComputeDigest(ReadOnlySpan<byte> secret, string sandboxId, int port, string expiresB36, Span<byte> digest) =>
        Digest(secret, string.Create(CultureInfo.InvariantCulture, $"v1\nshort\n{sandboxId}\n{port}\n{expiresB36}\n"), digest);

    /// <summary>
    /// The whole SHA-256 of the length-prefixed secret and canonical text: the construction of signed routes, also used
    /// (with a canonical text of their own) for browser-session cookies.
    /// </summary>
    public static void Digest(ReadOnlySpan<byte> secret, string canonicalText, Span<byte> digest)
    {
        var canonical = Encoding.UTF8.GetBytes(canonicalText);
        var inner = new byte[4 + secret.Length + 4 + canonical.Length];
        BinaryPrimitives.WriteUInt32BigEndian(inner, (uint)secret.Length);
        secret.CopyTo(inner.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(inner.AsSpan(4 + secret.Length), (uint)canonical.Length);
        canonical.CopyTo(inner.AsSpan(8 + secret.Length));
        SHA256.HashData(inner, digest);
    }
}
