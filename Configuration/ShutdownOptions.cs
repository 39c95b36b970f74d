using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>What SIGTERM/SIGINT lead to (SPEC §12).</summary>
internal sealed record ShutdownOptions
{
    private const double DefaultDrainSeconds = 30;

    public static readonly Option<double> DrainTimeoutFlag = new("--drain-timeout")
    {
        Description = "Seconds that in-flight requests get to finish after SIGTERM/SIGINT.",
        DefaultValueFactory = _ => DefaultDrainSeconds,
    };

    public static readonly Option<double> ShutdownDelayFlag = new("--shutdown-delay")
    {
        Description = "Seconds to keep accepting after SIGTERM, with /status.ok answering 503, before draining (lets load balancers catch up).",
        DefaultValueFactory = _ => 0,
    };

    public static IEnumerable<Option> Flags => [DrainTimeoutFlag, ShutdownDelayFlag];

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(DefaultDrainSeconds);

    /// <summary>How long to keep accepting after SIGTERM (while /status.ok says 503) before draining.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>The host's whole stop budget after SIGTERM: the shutdown delay, then the drain.</summary>
    public TimeSpan Budget => Delay + DrainTimeout;

    public static ShutdownOptions Read(FlagReader flags) => new()
    {
        DrainTimeout = flags.Seconds(DrainTimeoutFlag),
        Delay = flags.Seconds(ShutdownDelayFlag, zeroAllowed: true),
    };
}
