using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>How sandboxes are reached: the one pooled client's deadlines and retries (SPEC §7, §13).</summary>
internal sealed record UpstreamOptions
{
    private const double DefaultConnectSeconds = 5;

    /// <summary>Long enough for terminals and long polls that sit quiet; nginx users usually raise 60 s to this too.</summary>
    private const double DefaultIdleSeconds = 3600;

    private const double DefaultPoolIdleSeconds = 90;

    public static readonly Option<double> ConnectTimeoutFlag = new("--upstream-connect-timeout")
    {
        Description = "Seconds to wait for a TCP connection to a sandbox before answering 502.",
        DefaultValueFactory = _ => DefaultConnectSeconds,
    };

    public static readonly Option<double> IdleTimeoutFlag = new("--upstream-idle-timeout")
    {
        Description = "Seconds a proxied request or WebSocket may pass with no byte in either direction before it is cut (504 if no response yet).",
        DefaultValueFactory = _ => DefaultIdleSeconds,
    };

    public static readonly Option<double> ResponseTimeoutFlag = new("--upstream-response-timeout")
    {
        Description = "Seconds to wait for a sandbox's response headers before answering 504; 0 waits as long as it takes (long polls).",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<double> PoolIdleTimeoutFlag = new("--upstream-pool-idle-timeout")
    {
        Description = "Seconds an unused pooled connection to a sandbox is kept open.",
        DefaultValueFactory = _ => DefaultPoolIdleSeconds,
    };

    public static readonly Option<double> ConnectRetryFlag = new("--upstream-connect-retry")
    {
        Description = "Seconds a connection refused by a ready sandbox (its server still starting) is tried again, 25 ms doubling to 400 ms; 0 = 502 at once.",
        DefaultValueFactory = _ => 0,
    };

    public static IEnumerable<Option> Flags => [ConnectTimeoutFlag, IdleTimeoutFlag, ResponseTimeoutFlag, PoolIdleTimeoutFlag, ConnectRetryFlag];

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(DefaultConnectSeconds);

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(DefaultIdleSeconds);

    /// <summary>Deadline for a sandbox's response headers; null waits as long as it takes.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    public TimeSpan PoolIdleTimeout { get; init; } = TimeSpan.FromSeconds(DefaultPoolIdleSeconds);

    /// <summary>How long a refused connection to a sandbox is tried again; zero = not at all.</summary>
    public TimeSpan ConnectRetry { get; init; }

    public static UpstreamOptions Read(FlagReader flags) => new()
    {
        ConnectTimeout = flags.Seconds(ConnectTimeoutFlag),
        IdleTimeout = flags.Seconds(IdleTimeoutFlag),
        ResponseTimeout = flags.Seconds(ResponseTimeoutFlag, zeroAllowed: true) is { Ticks: > 0 } response ? response : null,
        PoolIdleTimeout = flags.Seconds(PoolIdleTimeoutFlag),
        ConnectRetry = flags.Seconds(ConnectRetryFlag, zeroAllowed: true),
    };
}
