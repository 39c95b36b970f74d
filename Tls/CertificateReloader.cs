using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Tls;

/// <summary>
/// The TLS listener's certificate (SPEC §14): the PEM pair is read at start-up (a pair that does not load stops the
/// start) and again when either file's modification time changes, as cert-manager renews a mounted Secret in place.
/// The check is made by handshakes, at most once a second; new handshakes get the new pair and open connections keep
/// theirs. A pair that does not load is logged and the previous one kept until the files change again.
/// </summary>
internal sealed partial class CertificateReloader
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    private readonly string _certFile;
    private readonly string _keyFile;
    private readonly TimeProvider _time;
    private readonly ILogger<CertificateReloader> _logger;
    private readonly Lock _lock = new();
    private SslStreamCertificateContext _current;
    private (DateTime Cert, DateTime Key) _stamps;
    private long _nextCheck;

    /// <param name="loaded">The pair as <see cref="Load"/> read it at start-up.</param>
    public CertificateReloader(string certFile, string keyFile, SslStreamCertificateContext loaded, TimeProvider time, ILogger<CertificateReloader> logger)
    {
        (_certFile, _keyFile, _current, _time, _logger) = (certFile, keyFile, loaded, time, logger);
        _stamps = Stamps();
        LogLoaded(loaded.TargetCertificate.Subject, loaded.TargetCertificate.NotAfter);
    }

    /// <summary>The pair for the next handshake.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            if (_time.GetTimestamp() >= Volatile.Read(ref _nextCheck))
            {
                CheckFiles();
            }

            return Volatile.Read(ref _current);
        }
    }

    /// <summary>The certificate with the rest of the chain from the same file, sent in every handshake.</summary>
    public static SslStreamCertificateContext Load(string certFile, string keyFile)
    {
        var leaf = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certFile);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in chain)
        {
            if (certificate.Thumbprint != leaf.Thumbprint)
            {
                intermediates.Add(certificate);
            }
        }

        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    private void CheckFiles()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (now < _nextCheck)
            {
                return;
            }

            Volatile.Write(ref _nextCheck, now + (long)(CheckEvery.TotalSeconds * _time.TimestampFrequency));
            var stamps = Stamps();
            if (stamps == _stamps)
            {
                return;
            }

            // A renewal may write the two files one after the other: a pair that does not match now loads once both changed.
            _stamps = stamps;
            try
            {
                var loaded = Load(_certFile, _keyFile);
                Volatile.Write(ref _current, loaded);
                LogLoaded(loaded.TargetCertificate.Subject, loaded.TargetCertificate.NotAfter);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                LogLoadFailed(e.Message, _current.TargetCertificate.Subject);
            }
        }
    }

    private (DateTime, DateTime) Stamps() => (File.GetLastWriteTimeUtc(_certFile), File.GetLastWriteTimeUtc(_keyFile));

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate loaded: {Subject}, valid until {NotAfter:u}")]
    private partial void LogLoaded(string subject, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Error, Message = "TLS certificate files changed but do not load ({Reason}); still serving {Subject}")]
    private partial void LogLoadFailed(string reason, string subject);
}
