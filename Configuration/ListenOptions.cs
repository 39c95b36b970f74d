using System.CommandLine;
using System.Net;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>The listeners and what a client connection may cost (SPEC §2, §12).</summary>
internal sealed record ListenOptions
{
    public const int DefaultPort = 28888;
    public const string AnyAddress = "*";
    private const double DefaultRequestHeaderSeconds = 15;
    private const double DefaultClientIdleSeconds = 120;
    private const int DefaultMaxRequestHeaderKiB = 64;

    /// <summary>Kestrel's own default: low enough for slow mobile links, high enough to cut a trickle.</summary>
    private const double DefaultMinClientDataRate = 240;

    public static readonly Option<int> PortFlag = new("--port")
    {
        Description = "Port to listen on (1-65535).",
        DefaultValueFactory = _ => DefaultPort,
    };

    public static readonly Option<int?> H2cPortFlag = new("--h2c-port")
    {
        Description = "Optional second port that speaks cleartext HTTP/2 with prior knowledge (h2c), including WebSockets over HTTP/2.",
    };

    public static readonly Option<int?> TlsPortFlag = new("--tls-port")
    {
        Description = "Optional port that serves TLS (1.2 and newer) with HTTP/1.1 and HTTP/2 offered by ALPN; needs --tls-cert-file and --tls-key-file.",
    };

    public static readonly Option<string?> TlsCertFileFlag = new("--tls-cert-file")
    {
        Description = "PEM certificate (with its chain) for --tls-port, read again when it changes.",
    };

    public static readonly Option<string?> TlsKeyFileFlag = new("--tls-key-file")
    {
        Description = "PEM private key of --tls-cert-file, read again when it changes.",
    };

    public static readonly Option<int?> MetricsPortFlag = new("--metrics-port")
    {
        Description = "Optional port serving Prometheus metrics at /metrics; a separate port, so no sandbox path is shadowed.",
    };

    public static readonly Option<string> ListenAddressFlag = new("--listen-address")
    {
        Description = "Address to listen on; * is every interface (IPv4 and IPv6).",
        DefaultValueFactory = _ => AnyAddress,
    };

    public static readonly Option<double> RequestHeaderTimeoutFlag = new("--request-header-timeout")
    {
        Description = "Seconds a client has to send the whole request head; slower clients are disconnected.",
        DefaultValueFactory = _ => DefaultRequestHeaderSeconds,
    };

    public static readonly Option<double> ClientIdleTimeoutFlag = new("--client-idle-timeout")
    {
        Description = "Seconds an idle keep-alive client connection is kept open.",
        DefaultValueFactory = _ => DefaultClientIdleSeconds,
    };

    public static readonly Option<int> MaxRequestHeaderSizeFlag = new("--max-request-header-size")
    {
        Description = "Largest request head accepted, in KiB (request line and headers each); larger ones get 431 or 414.",
        DefaultValueFactory = _ => DefaultMaxRequestHeaderKiB,
    };

    public static readonly Option<double> MinClientDataRateFlag = new("--min-client-data-rate")
    {
        Description = "Bytes/s a client must keep sending a body or reading a response (after a 5 s grace); 0 disables. WebSockets are exempt.",
        DefaultValueFactory = _ => DefaultMinClientDataRate,
    };

    public static IEnumerable<Option> Flags =>
        [PortFlag, H2cPortFlag, TlsPortFlag, TlsCertFileFlag, TlsKeyFileFlag, MetricsPortFlag, ListenAddressFlag, RequestHeaderTimeoutFlag, ClientIdleTimeoutFlag, MaxRequestHeaderSizeFlag, MinClientDataRateFlag];

    public int Port { get; init; } = DefaultPort;

    /// <summary>Optional second port that speaks HTTP/2 in clear text (prior knowledge), for HTTP/2 clients and WebSockets.</summary>
    public int? H2cPort { get; init; }

    /// <summary>Optional TLS port (HTTP/1.1 and HTTP/2 by ALPN) with <see cref="TlsCertFile"/> and <see cref="TlsKeyFile"/>.</summary>
    public int? TlsPort { get; init; }

    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    /// <summary>Optional port serving Prometheus metrics at <c>/metrics</c> (and nothing else; never proxied).</summary>
    public int? MetricsPort { get; init; }

    /// <summary>An IP address, or <see cref="AnyAddress"/> for every interface.</summary>
    public string Address { get; init; } = AnyAddress;

    /// <summary>A client must send the whole request head within this time (slow-loris defence).</summary>
    public TimeSpan RequestHeaderTimeout { get; init; } = TimeSpan.FromSeconds(DefaultRequestHeaderSeconds);

    /// <summary>An idle keep-alive client connection is closed after this time.</summary>
    public TimeSpan ClientIdleTimeout { get; init; } = TimeSpan.FromSeconds(DefaultClientIdleSeconds);

    public int MaxRequestHeaderKiB { get; init; } = DefaultMaxRequestHeaderKiB;

    /// <summary>Bytes per second a client must keep sending a body or reading a response, after a 5 s grace; 0 = no minimum.</summary>
    public double MinClientDataRate { get; init; } = DefaultMinClientDataRate;

    public static ListenOptions Read(FlagReader flags)
    {
        var port = flags.Value(PortFlag);
        if (port is < 1 or > 65535)
        {
            port = flags.Fail(PortFlag, $"{port} is outside 1-65535", DefaultPort);
        }

        var h2cPort = flags.Port(H2cPortFlag, port);
        var tlsPort = flags.Port(TlsPortFlag, port, h2cPort);
        var (certFile, keyFile) = (flags.Value(TlsCertFileFlag), flags.Value(TlsKeyFileFlag));
        if (tlsPort is not null && !File.Exists(certFile))
        {
            certFile = flags.Fail<string?>(TlsCertFileFlag, "--tls-port needs a readable PEM certificate file");
        }
        else if (tlsPort is not null && !File.Exists(keyFile))
        {
            keyFile = flags.Fail<string?>(TlsKeyFileFlag, "--tls-port needs a readable PEM private key file");
        }
        var address = flags.Value(ListenAddressFlag)!;
        var maxHeaderKiB = flags.Value(MaxRequestHeaderSizeFlag);
        var minRate = flags.Value(MinClientDataRateFlag);
        return new ListenOptions
        {
            Port = port,
            H2cPort = h2cPort,
            TlsPort = tlsPort,
            TlsCertFile = tlsPort is null ? null : certFile,
            TlsKeyFile = tlsPort is null ? null : keyFile,
            MetricsPort = flags.Port(MetricsPortFlag, port, h2cPort, tlsPort),
            Address = address == AnyAddress || IPAddress.TryParse(address, out _) ? address
                : flags.Fail(ListenAddressFlag, $"'{address}' is not an IP address or *", AnyAddress),
            RequestHeaderTimeout = flags.Seconds(RequestHeaderTimeoutFlag),
            ClientIdleTimeout = flags.Seconds(ClientIdleTimeoutFlag),
            MaxRequestHeaderKiB = maxHeaderKiB is >= 8 and <= 1024 ? maxHeaderKiB
                : flags.Fail(MaxRequestHeaderSizeFlag, $"{maxHeaderKiB} KiB is outside 8-1024", DefaultMaxRequestHeaderKiB),
            MinClientDataRate = double.IsFinite(minRate) && minRate >= 0 ? minRate
                : flags.Fail(MinClientDataRateFlag, $"{minRate} is not a rate of 0 bytes/s or more", DefaultMinClientDataRate),
        };
    }
}
