using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>What is logged (SPEC §10).</summary>
internal sealed record LoggingOptions
{
    public static readonly Option<string> LevelFlag = new("--log-level")
    {
        Description = $"Log level, zap names: {ZapLogLevel.Names} (the last three log errors only).",
        DefaultValueFactory = _ => "info",
    };

    public static IEnumerable<Option> Flags => [LevelFlag];

    public LogLevel Level { get; init; } = LogLevel.Information;

    public static LoggingOptions Read(FlagReader flags)
    {
        var text = flags.Value(LevelFlag);
        return new LoggingOptions
        {
            Level = ZapLogLevel.TryParse(text, out var level) ? level
                : flags.Fail(LevelFlag, $"unknown level '{text}' (expected {ZapLogLevel.Names})", LogLevel.Information),
        };
    }
}
