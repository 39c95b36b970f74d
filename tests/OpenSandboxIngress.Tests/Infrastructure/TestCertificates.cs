using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>A certificate authority made in the test, and server certificates it signs, written as PEM files as a Kubernetes TLS Secret mounts them.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly X509Certificate2 _authority;

    public TestCertificates()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=OpenSandbox test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        _authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Directory = System.IO.Directory.CreateTempSubdirectory("osb-tls-").FullName;
    }

    public string Directory { get; }

    public string CertFile => Path.Combine(Directory, "tls.crt");

    public string KeyFile => Path.Combine(Directory, "tls.key");

    /// <summary>Trusts exactly this authority, as a client given the CA bundle does.</summary>
    public bool Validate(X509Certificate2 presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    /// <summary>Signs a certificate for 127.0.0.1 and localhost and writes it (followed by the CA) and its key to the Secret's files.</summary>
    /// <returns>The certificate written.</returns>
    public X509Certificate2 Issue(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        var certificate = request.Create(_authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), serial);
        Write(CertFile, certificate.ExportCertificatePem() + "\n" + _authority.ExportCertificatePem() + "\n");
        Write(KeyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
        return certificate;
    }

    /// <summary>Replaces a file the way a renewal does: written beside it, then moved over it, always with a newer modification time.</summary>
    public static void Write(string path, string text)
    {
        var staging = path + ".new";
        File.WriteAllText(staging, text);
        var stamp = DateTime.UtcNow;
        if (File.Exists(path) && File.GetLastWriteTimeUtc(path) >= stamp)
        {
            stamp = File.GetLastWriteTimeUtc(path).AddSeconds(1);
        }

        File.SetLastWriteTimeUtc(staging, stamp);
        File.Move(staging, path, overwrite: true);
    }

    public void Dispose()
    {
        _authority.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
