using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>Everything the command line decides, validated once at start-up and immutable after.</summary>
internal sealed record IngressOptions
{
    public const int DefaultPort = 28888;
    public const string AnyAddress = "*";
    public static readonly TimeSpan DefaultUpstreamConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Long enough for terminals and long polls that sit quiet; nginx users usually raise 60 s to this too.</summary>
    public static readonly TimeSpan DefaultUpstreamIdleTimeout = TimeSpan.FromHours(1);

    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultUpstreamPoolIdleTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan DefaultRequestHeaderTimeout = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan DefaultClientIdleTimeout = TimeSpan.FromSeconds(120);
    public const int DefaultMaxRequestHeaderKiB = 64;

    /// <summary>Kestrel's own default: low enough for slow mobile links, high enough to cut a trickle.</summary>
    public const double DefaultMinClientDataRate = 240;

    public string? Namespace { get; init; }
    public ProviderType Provider { get; init; } = ProviderType.BatchSandbox;
    public RoutingMode Mode { get; init; } = RoutingMode.Header;
    public int Port { get; init; } = DefaultPort;

    /// <summary>Optional second port that speaks HTTP/2 in clear text (prior knowledge), for HTTP/2 clients and WebSockets.</summary>
    public int? H2cPort { get; init; }

    /// <summary>Optional port serving Prometheus metrics at <c>/metrics</c> (and nothing else; never proxied).</summary>
    public int? MetricsPort { get; init; }

    /// <summary>An IP address, or <see cref="AnyAddress"/> for every interface.</summary>
    public string ListenAddress { get; init; } = AnyAddress;

    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    public string? KubeconfigPath { get; init; }
    public string? SandboxesDirectory { get; init; }
    public SecureAccessKeys SecureAccessKeys { get; init; } = SecureAccessKeys.None;
    public RenewIntentOptions RenewIntent { get; init; } = new();
    public TimeSpan UpstreamConnectTimeout { get; init; } = DefaultUpstreamConnectTimeout;
    public TimeSpan UpstreamIdleTimeout { get; init; } = DefaultUpstreamIdleTimeout;
    public TimeSpan DrainTimeout { get; init; } = DefaultDrainTimeout;

    /// <summary>The host's whole stop budget after SIGTERM: the shutdown delay, then the drain.</summary>
    public TimeSpan ShutdownBudget => ShutdownDelay + DrainTimeout;

    /// <summary>How long to keep accepting after SIGTERM (while /status.ok says 503) before draining.</summary>
    public TimeSpan ShutdownDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Deadline for a sandbox's response headers; null waits as long as it takes.</summary>
    public TimeSpan? UpstreamResponseTimeout { get; init; }

    public TimeSpan UpstreamPoolIdleTimeout { get; init; } = DefaultUpstreamPoolIdleTimeout;

    /// <summary>A client must send the whole request head within this time (slow-loris defence).</summary>
    public TimeSpan RequestHeaderTimeout { get; init; } = DefaultRequestHeaderTimeout;

    /// <summary>An idle keep-alive client connection is closed after this time.</summary>
    public TimeSpan ClientIdleTimeout { get; init; } = DefaultClientIdleTimeout;

    public int MaxRequestHeaderKiB { get; init; } = DefaultMaxRequestHeaderKiB;

    /// <summary>Bytes per second a client must keep sending a body or reading a response, after a 5 s grace; 0 = no minimum.</summary>
    public double MinClientDataRate { get; init; } = DefaultMinClientDataRate;

    /// <summary>Resume a paused sandbox through the lifecycle API when a request for it arrives (SPEC §13).</summary>
    public bool WakeOnRequest { get; init; }

    /// <summary>Base URL of the OpenSandbox server's lifecycle API; set when <see cref="WakeOnRequest"/> is.</summary>
    public Uri? LifecycleApiUrl { get; init; }

    /// <summary>File holding the lifecycle API key; set when <see cref="WakeOnRequest"/> is.</summary>
    public string? LifecycleApiKeyFile { get; init; }

    /// <summary>How long a request may wait for a sandbox that is becoming ready; zero = answer at once.</summary>
    public TimeSpan HoldTimeout { get; init; }

    public const int DefaultHoldMaxRequests = 1024;

    /// <summary>Requests that may wait at once.</summary>
    public int HoldMaxRequests { get; init; } = DefaultHoldMaxRequests;

    /// <summary>How long a refused connection to a sandbox is tried again; zero = not at all.</summary>
    public TimeSpan UpstreamConnectRetry { get; init; }

    /// <summary>Requests and open WebSockets one sandbox may have at once; 0 = no limit.</summary>
    public int MaxRequestsPerSandbox { get; init; }

    /// <summary>URI mode: keep redirects and cookies under the sandbox's prefix.</summary>
    public bool UriRewrite { get; init; } = true;
}
