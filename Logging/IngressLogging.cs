using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Logging;

/// <summary>Wires every log line of the process, access lines included, through one bounded <see cref="LogWriter"/> on stdout.</summary>
internal static class IngressLogging
{
    /// <summary>Our JSON-lines provider in place of the console's (whose queue blocks the caller when stdout stalls).</summary>
    public static ILoggingBuilder AddIngressLog(this ILoggingBuilder logging)
    {
        AddLogWriter(logging.Services);
        logging.Services.AddSingleton<ILoggerProvider>(sp => new JsonLineLoggerProvider(sp.GetRequiredService<LogWriter>()));
        return logging;
    }

    /// <summary>The access log always exists (the request log writes to it); it writes only at <c>info</c> and below.</summary>
    public static IServiceCollection AddIngressAccessLog(this IServiceCollection services, LogLevel level)
    {
        AddLogWriter(services);
        services.AddSingleton(sp => new AccessLog(sp.GetRequiredService<LogWriter>(), enabled: level <= LogLevel.Information));
        return services;
    }

    /// <summary>A factory, so the container disposes (flushes) it; resolved first by the logger factory, it is disposed last.</summary>
    private static void AddLogWriter(IServiceCollection services) => services.TryAddSingleton(_ => new LogWriter());
}
