using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Version;

namespace OpenSandbox.Ingress.Hosting;

/// <summary>Runs the ingress until SIGTERM/SIGINT, after the start-up banner.</summary>
internal static partial class IngressRunner
{
    public const int ExitStartupFailed = 1;

    public static async Task<int> RunAsync(IngressOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = IngressHost.Build(options);
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync($"{BuildInfo.ProgramName}: {e.Message}");
            return ExitStartupFailed;
        }

        await using var _ = app;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(BuildInfo.ProgramName);
        LogBanner(logger, BuildInfo.Version, BuildInfo.GitCommit, BuildInfo.BuildTime, BuildInfo.Runtime, BuildInfo.Platform);
        LogSettings(logger, options.Source.Provider, options.Routing.Mode, options.Listen.Address, options.Listen.Port, options.Source.Namespace ?? "(all)");
        try
        {
            await app.RunAsync(cancellationToken);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"{BuildInfo.ProgramName}: --port: {e.Message}");
            return ExitStartupFailed;
        }

        return 0;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "opensandbox-ingress {Version} commit {GitCommit} built {BuildTime} on {Runtime} {Platform}")]
    private static partial void LogBanner(ILogger logger, string version, string gitCommit, string buildTime, string runtime, string platform);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "provider {Provider}, mode {Mode}, listening on {Address}:{Port}, namespace {Namespace}")]
    private static partial void LogSettings(ILogger logger, ProviderType provider, RoutingMode mode, string address, int port, string @namespace);
}
