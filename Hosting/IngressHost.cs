using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Lifecycle;
using OpenSandbox.Ingress.Limits;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Sandbox.Files;
using OpenSandbox.Ingress.Sandbox.Kubernetes;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tls;
using OpenSandbox.Ingress.Tracing;
using OpenSandbox.Ingress.Version;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
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

        ConfigureLogging(builder.Logging, options.Logging.Level);
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, options.Listen, options.Limits));
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = SocketScheduling.Inline);

        // 1. The options, one record per concern; every service below takes the records it needs.
        var services = builder.Services;
        services.AddSingleton(options.Listen).AddSingleton(options.Source).AddSingleton(options.Routing).AddSingleton(options.Routing.SecureAccessKeys)
            .AddSingleton(options.BrowserSessions)
            .AddSingleton(options.Upstream).AddSingleton(options.RenewIntent).AddSingleton(options.Lifecycle).AddSingleton(options.Limits)
            .AddSingleton(options.Logging).AddSingleton(options.Shutdown).AddSingleton(options.Tracing);
        services.AddSingleton(TimeProvider.System);

        AddTls(services, options.Listen);

        // 2. What requests are answered from: the cache and its source.
        services.AddSingleton(new SandboxDirectory(options.Source.Provider == ProviderType.BatchSandbox ? SandboxNaming.Exact : SandboxNaming.AgentSandbox));
        AddSandboxSource(services, options.Source);

        // 3. The proxy pipeline, stage by stage in request order; a stage whose feature is off is not registered.
        if (options.Routing.Mode == RoutingMode.Uri)
        {
            services.AddSingleton<IProxyStage, RootRequestStage>();
        }

        services.AddSingleton<RouteReader>().AddSingleton<AccessGuard>().AddSingleton<ResolutionStage>();
        services.AddSingleton<IProxyStage>(sp => sp.GetRequiredService<ResolutionStage>());
        AddLifecycle(services, options.Lifecycle);
        services.AddSingleton<IProxyStage, ReadinessStage>();
        if (options.BrowserSessions.Enabled)
        {
            services.AddSingleton<SpentHandoffs>().AddSingleton<BrowserCredentials>().AddSingleton<IProxyStage, BrowserSessionStage>();
        }

        AddRenewIntents(services, options.RenewIntent);
        if (options.Limits.MaxRequestsPerSandbox > 0)
        {
            services.AddSingleton<IProxyStage, SandboxLimitStage>();
        }

        if (options.RenewIntent.RenewsOpenSessions)
        {
            services.AddSingleton<IProxyStage, OpenSessionStage>();
        }

        services.AddHttpForwarder();
        services.AddSingleton<UpstreamClient>().AddSingleton<ForwardingTransformer>().AddSingleton<ForwardingStage>().AddSingleton<ProxyPipeline>();
        services.AddSingleton<RequestLog>().AddIngressAccessLog(options.Logging.Level);
        AddMetrics(services, options);
        AddTracing(services, options.Tracing);
        AddShutdown(services, options.Shutdown);
        services.AddSingleton<StatusProbe>();
        overrideServices?.Invoke(services);

        // 4. The endpoints: the metrics listener branches off first; on the proxy listeners the status probe, and every
        //    other method and path to the proxy (SPEC §3).
        var app = builder.Build();
        if (options.Listen.MetricsPort is { } metricsPort)
        {
            MetricsEndpoint.Map(app, metricsPort);
        }

        app.MapMethods(StatusProbe.Path, [HttpMethods.Get, HttpMethods.Head], app.Services.GetRequiredService<StatusProbe>().HandleAsync);
        app.Map("/{**target}", app.Services.GetRequiredService<ProxyPipeline>().InvokeAsync);
        return app;
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, Configuration.ListenOptions options, LimitOptions limits)
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
        // A connection beyond the cap is closed as it arrives instead of costing memory (SPEC §12); an upgraded connection
        // counts in both figures, so WebSockets cannot take more than the cap either.
        kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections > 0 ? limits.MaxConnections : null;
        kestrel.Limits.MaxConcurrentUpgradedConnections = limits.MaxConnections > 0 ? limits.MaxConnections : null;
        Listen(kestrel, options.Address, options.Port, HttpProtocols.Http1, counted: true);
        if (options.H2cPort is { } h2cPort)
        {
            // Kestrel speaks HTTP/2 in clear text only with prior knowledge, on an HTTP/2-only endpoint.
            Listen(kestrel, options.Address, h2cPort, HttpProtocols.Http2, counted: true);
        }

        if (options.TlsPort is { } tlsPort)
        {
            Listen(kestrel, options.Address, tlsPort, HttpProtocols.Http1AndHttp2, counted: true, tls: true);
        }

        if (options.MetricsPort is { } metricsPort)
        {
            Listen(kestrel, options.Address, metricsPort, HttpProtocols.Http1, counted: false);
        }
    }

    /// <summary>The TLS listener's pair is loaded now, so a pair that does not load fails start-up with one line (SPEC §14).</summary>
    private static void AddTls(IServiceCollection services, Configuration.ListenOptions options)
    {
        if (options.TlsPort is null)
        {
            return;
        }

        SslStreamCertificateContext loaded;
        try
        {
            loaded = CertificateReloader.Load(options.TlsCertFile!, options.TlsKeyFile!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new StartupException($"--tls-cert-file: cannot load the certificate and key: {e.Message}", e);
        }

        services.AddSingleton(sp => new CertificateReloader(options.TlsCertFile!, options.TlsKeyFile!, loaded, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<CertificateReloader>>()));
    }

    /// <param name="counted">Client connections of the proxy listeners are counted for the open-connections gauge.</param>
    /// <param name="tls">TLS 1.2 and newer with the reloaded pair, HTTP/2 and HTTP/1.1 offered by ALPN.</param>
    private static void Listen(KestrelServerOptions kestrel, string address, int port, HttpProtocols protocols, bool counted, bool tls = false)
    {
        void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
        {
            listen.Protocols = protocols;
            if (tls)
            {
                var certificates = listen.ApplicationServices.GetRequiredService<CertificateReloader>();
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = certificates.Current,
                        // ALPN is left to Kestrel, which offers what listen.Protocols allows (h2, http/1.1).
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    }),
                });
            }

            if (counted)
            {
                listen.Use(next =>
                {
                    var metrics = listen.ApplicationServices.GetRequiredService<IngressMetrics>();
                    return async connection =>
                    {
                        metrics.ConnectionOpened();
                        try
                        {
                            await next(connection);
                        }
                        finally
                        {
                            metrics.ConnectionClosed();
                        }
                    };
                });
            }
        }

        if (address == Configuration.ListenOptions.AnyAddress)
        {
            kestrel.ListenAnyIP(port, Configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address), port, Configure);
        }
    }

    private static void AddSandboxSource(IServiceCollection services, SandboxSourceOptions options)
    {
        if (options.Provider == ProviderType.File)
        {
            services.AddHostedService<FileSandboxSource>();
            return;
        }

        var resourceType = options.Provider == ProviderType.AgentSandbox ? CustomResourceType.AgentSandbox : CustomResourceType.BatchSandbox;
        // Loaded now, so a bad kubeconfig fails start-up with one line instead of failing later.
        services.AddSingleton(CreateKubernetesApi(options.KubeconfigPath)).AddSingleton(resourceType);
        services.AddHostedService<KubernetesSandboxSource>();
    }

    /// <summary>Wake and hold (SPEC §13): the lifecycle stage and, with waking, the lifecycle API.</summary>
    private static void AddLifecycle(IServiceCollection services, LifecycleOptions options)
    {
        if (!options.IsOn)
        {
            return;
        }

        if (options.WakeOnRequest)
        {
            services.AddSingleton<LifecycleApi>().AddSingleton<SandboxWaker>();
        }

        services.AddSingleton<IProxyStage, LifecycleStage>();
    }

    /// <summary>The meter always exists (the handler records into it); an exporter only with a metrics port.</summary>
    private static void AddMetrics(IServiceCollection services, IngressOptions options)
    {
        services.AddSingleton<IngressMetrics>();
        if (options.Listen.MetricsPort is not null)
        {
            services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(options.Tracing.ServiceName, serviceVersion: BuildInfo.Version))
                .WithMetrics(metrics => metrics.AddMeter(IngressMetrics.MeterName).AddPrometheusExporter());
        }
    }

    /// <summary>
    /// Traces (SPEC §15) only with an OTLP endpoint: without one nothing listens to the ingress's activity source, so no
    /// span is started. Spans go out over OTLP/HTTP (protobuf) through a bounded queue that drops and counts.
    /// </summary>
    private static void AddTracing(IServiceCollection services, TracingOptions options)
    {
        if (!options.IsOn)
        {
            return;
        }

        // The exporter reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and _COMPRESSION itself; the endpoint and protocol are set here.
        services.AddSingleton(_ => new SpanExportQueue(new OtlpTraceExporter(new OtlpExporterOptions
        {
            Endpoint = options.TracesEndpoint!,
            Protocol = OtlpExportProtocol.HttpProtobuf,
        })));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceVersion: BuildInfo.Version))
            .WithTracing(tracing => tracing.AddSource(IngressTracing.SourceName).SetSampler(TraceSamplers.From(options))
                .AddProcessor(sp => sp.GetRequiredService<SpanExportQueue>()));
    }

    /// <summary>SIGTERM/SIGINT: see <see cref="ShutdownSequence"/>; readiness and stopping for systemd: <see cref="ServiceManagerNotifier"/>.</summary>
    private static void AddShutdown(IServiceCollection services, ShutdownOptions options)
    {
        services.AddSingleton<DrainState>().AddSingleton<WebSocketDrain>().AddSingleton<ShutdownSequence>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownSequence>());
        // systemd's notify socket, when NOTIFY_SOCKET names one (the unit in packaging/); otherwise the notifier sends nothing.
        services.AddSingleton<ISystemdNotifier>(new SystemdNotifier()).AddSingleton<ServiceManagerNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<ServiceManagerNotifier>());
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.Budget);
    }

    /// <summary>Renew intents (SPEC §9): the counters always (metrics read them); the publisher and its stage when enabled.</summary>
    private static void AddRenewIntents(IServiceCollection services, RenewIntentOptions options)
    {
        services.AddSingleton<RenewIntentCounters>();
        if (!options.Enabled)
        {
            return;
        }

        services.AddSingleton<RedisRenewIntentPublisher>();
        services.AddSingleton<IRenewIntents>(sp => sp.GetRequiredService<RedisRenewIntentPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisRenewIntentPublisher>());
        services.AddSingleton<IProxyStage, RenewIntentStage>();

        if (options.RenewsOpenSessions)
        {
            services.AddSingleton<OpenSessions>();
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
        // ASP.NET Core's per-request logging (request start and end) is replaced by the access log; while any level of it
        // is on, the host also makes an Activity and a log scope for every request, which the ingress does not use (its
        // own server span continues the client's trace when traces are on). Kestrel still logs unhandled exceptions.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // YARP reports forwarding failures with stack traces; the request handler logs them in one line instead.
        logging.AddFilter("Yarp", LogLevel.Error);
        // Every line, the framework's included, through one bounded writer that never blocks (SPEC §10).
        logging.AddIngressLog();
    }
}
