using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>Everything the command line (and, for traces, the standard OpenTelemetry variables) decides, one record per concern, validated once at start-up and immutable after.</summary>
internal sealed record IngressOptions
{
    public ListenOptions Listen { get; init; } = new();
    public SandboxSourceOptions Source { get; init; } = new();
    public RoutingOptions Routing { get; init; } = new();
    public BrowserSessionOptions BrowserSessions { get; init; } = new();
    public UpstreamOptions Upstream { get; init; } = new();
    public RenewIntentOptions RenewIntent { get; init; } = new();
    public LifecycleOptions Lifecycle { get; init; } = new();
    public LimitOptions Limits { get; init; } = new();
    public LoggingOptions Logging { get; init; } = new();
    public ShutdownOptions Shutdown { get; init; } = new();
    public TracingOptions Tracing { get; init; } = new();

    /// <summary>Every flag, in the order <c>--help</c> lists them.</summary>
    public static IEnumerable<Option> Flags =>
    [
        .. SandboxSourceOptions.Flags, .. RoutingOptions.Flags, .. BrowserSessionOptions.Flags, .. ListenOptions.Flags, .. LoggingOptions.Flags, .. RenewIntentOptions.Flags,
        .. UpstreamOptions.Flags, .. ShutdownOptions.Flags, .. LifecycleOptions.Flags, .. LimitOptions.Flags,
    ];

    /// <summary>The options of a parsed command line, or the first problem as <c>--flag: reason</c>.</summary>
    /// <param name="environment">Reads the OpenTelemetry variables; the process environment when null.</param>
    public static (IngressOptions? Options, string? Error) Read(ParseResult result, Func<string, string?>? environment = null)
    {
        var flags = new FlagReader(result, environment);
        var routing = RoutingOptions.Read(flags);
        var options = new IngressOptions
        {
            Listen = ListenOptions.Read(flags),
            Source = SandboxSourceOptions.Read(flags),
            Routing = routing,
            BrowserSessions = BrowserSessionOptions.Read(flags, routing),
            Upstream = UpstreamOptions.Read(flags),
            RenewIntent = RenewIntentOptions.Read(flags),
            Lifecycle = LifecycleOptions.Read(flags),
            Limits = LimitOptions.Read(flags),
            Logging = LoggingOptions.Read(flags),
            Shutdown = ShutdownOptions.Read(flags),
            Tracing = TracingOptions.Read(flags),
        };
        return flags.Error is null ? (options, null) : (null, flags.Error);
    }
}
