using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>Caps that keep one client or one sandbox from taking the whole ingress (SPEC §5, §12).</summary>
internal sealed record LimitOptions
{
    /// <summary>About 15 KiB per idle keep-alive connection (README, Limits): 10,000 stay well inside a 512 MiB pod.</summary>
    private const int DefaultMaxConnections = 10_000;

    public static readonly Option<int> MaxRequestsPerSandboxFlag = new("--max-requests-per-sandbox")
    {
        Description = "Requests and open WebSockets one sandbox may have at once; beyond that 429 with Retry-After: 1. 0 = no limit.",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<int> MaxConnectionsFlag = new("--max-connections")
    {
        Description = "Client connections open at once on each listener, upgraded ones (WebSockets) included; a connection beyond that is closed as it arrives. 0 = no limit.",
        DefaultValueFactory = _ => DefaultMaxConnections,
    };

    public static IEnumerable<Option> Flags => [MaxRequestsPerSandboxFlag, MaxConnectionsFlag];

    /// <summary>Requests and open WebSockets one sandbox may have at once; 0 = no limit.</summary>
    public int MaxRequestsPerSandbox { get; init; }

    /// <summary>Client connections per listener; 0 = no limit.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    public static LimitOptions Read(FlagReader flags) => new()
    {
        MaxRequestsPerSandbox = flags.AtLeast(MaxRequestsPerSandboxFlag, 0, " (no limit)"),
        MaxConnections = flags.AtLeast(MaxConnectionsFlag, 0, " (no limit)"),
    };
}
