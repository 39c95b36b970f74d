using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>
/// The level names of Go's zap logger, which operators of the Go ingress already use (SPEC §2).
/// <c>dpanic</c>, <c>panic</c> and <c>fatal</c> have no .NET counterpart that means anything here: they log errors only.
/// </summary>
internal static class ZapLogLevel
{
    public const string Names = "debug, info, warn, error, dpanic, panic, fatal";

    public static bool TryParse(string? name, out LogLevel level)
    {
        level = name?.ToLowerInvariant() switch
        {
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warn" => LogLevel.Warning,
            "error" or "dpanic" or "panic" or "fatal" => LogLevel.Error,
            _ => LogLevel.None,
        };
        return level != LogLevel.None;
    }
}
