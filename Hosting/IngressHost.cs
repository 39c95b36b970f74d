using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Lifecycle;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Sandbox.Files;
using OpenSandbox.Ingress.Sandbox.Kubernetes;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Version;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Hosting;

/// <summary>Builds the web application for a set of validated options; used by the binary and by the tests.</summary>
internal static class IngressHost
{
    /// <param name="overrideServices">Tests replace services here (clock, log capture); the binary passes nothing.</param>
    public static WebApplication Build(IngressOptions options, Action<IServiceCollection>? overrideServices = null)
    {
        // Options come from flags only: no appsettings file is read, and the working directory is not watched for one
        // (the framework's default watches it with every subdirectory; in a container that is often /).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        foreach (var file in builder.Configuration.Sources.OfType<FileConfigurationSource>().ToList())
        {
            builder.Configuration.Sources.Remove(file);
        }

        ConfigureLogging(builder.Logging, options.LogLevel);
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, options));

        // 1. What requests are answered from: the cache and its source.
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new SandboxDirectory(options.Provider == ProviderType.BatchSandbox ? SandboxNaming.Exact : SandboxNaming.AgentSandbox));
        AddSandboxSource(services, options);

        // 2. The request path and what it reports to.
        services.AddSingleton(new RouteReader(options.Mode));
        services.AddSingleton(sp => new AccessGuard(options.SecureAccessKeys, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new RequestRouter(sp.GetRequiredService<RouteReader>(), sp.GetRequiredService<SandboxDirectory>(),
            sp.GetRequiredService<AccessGuard>(), sp.GetRequiredService<IRenewIntents>()));
        services.AddSingleton(sp => new RequestLog(sp.GetRequiredService<IngressMetrics>(), sp.GetService<AccessLog>(), sp.GetRequiredService<TimeProvider>()));
        // Factories, not instances, so the container disposes them at shutdown.
        services.AddSingleton(sp => new UpstreamClient(options.UpstreamConnectTimeout, options.UpstreamIdleTimeout, options.UpstreamPoolIdleTimeout,
            options.UpstreamResponseTimeout, options.UpstreamConnectRetry, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IngressMetrics>().UpstreamConnectRetried));
        services.AddHttpForwarder();
        AddRenewIntents(services, options.RenewIntent);
        AddMetrics(services, options);
        AddAccessLog(services, options.LogLevel);
        AddShutdown(services, options);
        AddLifecycle(services, options);
        services.AddSingleton(sp => new StatusProbe(sp.GetRequiredService<RequestRouter>(), sp.GetRequiredService<DrainState>()));
        services.AddSingleton(sp => new IngressRequestHandler(sp.GetRequiredService<RequestRouter>(), sp.GetRequiredService<IHttpForwarder>(),
            sp.GetRequiredService<UpstreamClient>(), sp.GetRequiredService<RequestLog>(), sp.GetRequiredService<IngressMetrics>(),
            sp.GetRequiredService<WebSocketDrain>(), options.MaxRequestsPerSandbox > 0 ? new SandboxConcurrency(options.MaxRequestsPerSandbox) : null,
            sp.GetService<OpenSessions>(), sp.GetService<SandboxLifecycle>(), options.Mode == RoutingMode.Uri && options.UriRewrite,
            sp.GetRequiredService<ILogger<IngressRequestHandler>>()));
        overrideServices?.Invoke(services);

        // 3. The endpoints: the metrics listener branches off first; on the proxy listeners the status probe, and every
        //    other method and path to the proxy (SPEC §3).
        var app = builder.Build();
        if (options.MetricsPort is { } metricsPort)
        {
            MetricsEndpoint.Map(app, metricsPort);
        }

        var probe = app.Services.GetRequiredService<StatusProbe>();
        app.MapMethods(StatusProbe.Path, [HttpMethods.Get, HttpMethods.Head], () => probe.Answer());
        app.Map("/{**target}", app.Services.GetRequiredService<IngressRequestHandler>().HandleAsync);
        return app;
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, IngressOptions options)
    {
        kestrel.AddServerHeader = false;
        // Request bodies are streamed to the sandbox: no size cap (SPEC §7).
        kestrel.Limits.MaxRequestBodySize = null;
        // Slow-loris defence: the request head has a deadline, bodies a minimum rate (upgraded connections are exempt).
        kestrel.Limits.RequestHeadersTimeout = options.RequestHeaderTimeout;
        var minRate = options.MinClientDataRate > 0 ? new MinDataRate(options.MinClientDataRate, TimeSpan.FromSeconds(5)) : null;
        kestrel.Limits.MinRequestBodyDataRate = minRate;
        kestrel.Limits.MinResponseDataRate = minRate;
        kestrel.Limits.KeepAliveTimeout = options.ClientIdleTimeout;
        kestrel.Limits.MaxRequestHeadersTotalSize = options.MaxRequestHeaderKiB * 1024;
        kestrel.Limits.MaxRequestLineSize = options.MaxRequestHeaderKiB * 1024;
        kestrel.Limits.Http2.MaxRequestHeaderFieldSize = options.MaxRequestHeaderKiB * 1024;
        Listen(kestrel, options.ListenAddress, options.Port, HttpProtocols.Http1);
        if (options.H2cPort is { } h2cPort)
        {
            // Kestrel speaks HTTP/2 in clear text only with prior knowledge, on an HTTP/2-only endpoint.
            Listen(kestrel, options.ListenAddress, h2cPort, HttpProtocols.Http2);
        }

        if (options.MetricsPort is { } metricsPort)
        {
            Listen(kestrel, options.ListenAddress, metricsPort, HttpProtocols.Http1);
        }
    }

    private static void Listen(KestrelServerOptions kestrel, string address, int port, HttpProtocols protocols)
    {
        if (address == IngressOptions.AnyAddress)
        {
            kestrel.ListenAnyIP(port, listen => listen.Protocols = protocols);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address), port, listen => listen.Protocols = protocols);
        }
    }

    private static void AddSandboxSource(IServiceCollection services, IngressOptions options)
    {
        switch (options.Provider)
        {
            case ProviderType.File:
                services.AddHostedService(sp => new FileSandboxSource(options.SandboxesDirectory!,
                    sp.GetRequiredService<SandboxDirectory>(), sp.GetRequiredService<ILogger<FileSandboxSource>>()));
                break;
            default:
                var resourceType = options.Provider == ProviderType.AgentSandbox ? CustomResourceType.AgentSandbox : CustomResourceType.BatchSandbox;
                // Loaded now, so a bad kubeconfig fails start-up with one line instead of failing later.
                var api = CreateKubernetesApi(options.KubeconfigPath);
                services.AddSingleton(_ => api);
                services.AddHostedService(sp => new KubernetesSandboxSource(sp.GetRequiredService<KubernetesApi>(), resourceType, options.Namespace,
                    sp.GetRequiredService<SandboxDirectory>(), sp.GetRequiredService<IngressMetrics>(),
                    sp.GetRequiredService<ILogger<KubernetesSandboxSource>>()));
                break;
        }
    }

    /// <summary>Wake and hold (SPEC §13), each off unless its flag is given.</summary>
    private static void AddLifecycle(IServiceCollection services, IngressOptions options)
    {
        if (!options.WakeOnRequest && options.HoldTimeout <= TimeSpan.Zero)
        {
            return;
        }

        if (options.WakeOnRequest)
        {
            services.AddSingleton(sp => new LifecycleApi(options.LifecycleApiUrl!, options.LifecycleApiKeyFile!, sp.GetRequiredService<ILogger<LifecycleApi>>()));
            services.AddSingleton(sp => new SandboxWaker(sp.GetRequiredService<LifecycleApi>(), sp.GetRequiredService<TimeProvider>(),
                outcome => sp.GetRequiredService<IngressMetrics>().WakeCalled(outcome.IsAccepted)));
        }

        services.AddSingleton(sp => new SandboxLifecycle(sp.GetRequiredService<RequestRouter>(), sp.GetRequiredService<SandboxDirectory>(),
            sp.GetService<SandboxWaker>(), options.HoldTimeout, options.HoldMaxRequests, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IngressMetrics>(), sp.GetRequiredService<ILogger<SandboxLifecycle>>()));
    }

    /// <summary>The meter always exists (the handler records into it); an exporter only with a metrics port.</summary>
    private static void AddMetrics(IServiceCollection services, IngressOptions options)
    {
        services.AddSingleton(sp => new IngressMetrics(options.Mode, sp.GetRequiredService<SandboxDirectory>(),
            sp.GetRequiredService<RenewIntentCounters>(), sp.GetService<AccessLog>()));
        if (options.MetricsPort is not null)
        {
            services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(BuildInfo.ProgramName, serviceVersion: BuildInfo.Version))
                .WithMetrics(metrics => metrics.AddMeter(IngressMetrics.MeterName).AddPrometheusExporter());
        }
    }

    /// <summary>SIGTERM/SIGINT: see <see cref="ShutdownSequence"/>.</summary>
    private static void AddShutdown(IServiceCollection services, IngressOptions options)
    {
        services.AddSingleton<DrainState>();
        services.AddSingleton(sp => new WebSocketDrain(sp.GetRequiredService<ILogger<WebSocketDrain>>()));
        services.AddSingleton(sp => new ShutdownSequence(sp.GetRequiredService<DrainState>(), sp.GetRequiredService<WebSocketDrain>(),
            options.ShutdownDelay, options.ShutdownBudget, sp.GetRequiredService<ILogger<ShutdownSequence>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownSequence>());
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownBudget);
    }

    /// <summary>The access log is written at <c>info</c> and below, like every other information line.</summary>
    private static void AddAccessLog(IServiceCollection services, LogLevel level) => services.AddIngressAccessLog(level);

    private static void AddRenewIntents(IServiceCollection services, RenewIntentOptions options)
    {
        services.AddSingleton<RenewIntentCounters>();
        if (!options.Enabled)
        {
            services.AddSingleton<IRenewIntents, DisabledRenewIntents>();
            return;
        }

        services.AddSingleton(sp => new RedisRenewIntentPublisher(options, sp.GetRequiredService<RenewIntentCounters>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RedisRenewIntentPublisher>>()));
        services.AddSingleton<IRenewIntents>(sp => sp.GetRequiredService<RedisRenewIntentPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisRenewIntentPublisher>());

        // With no interval there is nothing to pace open sessions by: every request already publishes.
        if (options.MinInterval > TimeSpan.Zero)
        {
            services.AddSingleton(sp => new OpenSessions(sp.GetRequiredService<IRenewIntents>(), options.MinInterval, sp.GetRequiredService<TimeProvider>()));
            services.AddHostedService(sp => sp.GetRequiredService<OpenSessions>());
        }
    }

    private static KubernetesApi CreateKubernetesApi(string? kubeconfigPath)
    {
        try
        {
            return new KubernetesApi(KubernetesApi.LoadConfiguration(kubeconfigPath));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new StartupException($"--kubeconfig: cannot load Kubernetes configuration: {e.GetBaseException().Message}", e);
        }
    }

    /// <summary>One JSON object per line on stdout (SPEC §10); framework chatter kept to warnings.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", level);
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // YARP reports forwarding failures with stack traces; the request handler logs them in one line instead.
        logging.AddFilter("Yarp", LogLevel.Error);
        // Every line, the framework's included, through one bounded writer that never blocks (SPEC §10).
        logging.AddIngressLog();
    }
}
