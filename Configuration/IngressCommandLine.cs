using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using OpenSandbox.Ingress.Version;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>
/// The command line of SPEC §2. Parsing is System.CommandLine's; every value is then checked once by
/// <see cref="OptionsValidator"/>, which names the flag in a one-line error before anything listens.
/// </summary>
internal static class IngressCommandLine
{
    public const int ExitBadInput = 2;

    public static readonly Option<string?> Namespace = new("--namespace")
    {
        Description = "Namespace whose sandboxes are watched; empty or omitted watches all namespaces (needs a ClusterRole).",
    };

    public static readonly Option<string> ProviderType = new("--provider-type")
    {
        Description = "Sandbox source: batchsandbox, agent-sandbox, or file (manifests in --sandboxes-dir).",
        DefaultValueFactory = _ => "batchsandbox",
    };

    public static readonly Option<string> Mode = new("--mode")
    {
        Description = "Routing mode: header (OpenSandbox-Ingress-To header, then Host) or uri (/<sandbox-id>/<port>/...).",
        DefaultValueFactory = _ => "header",
    };

    public static readonly Option<int> Port = new("--port")
    {
        Description = "Port to listen on (1-65535).",
        DefaultValueFactory = _ => IngressOptions.DefaultPort,
    };

    public static readonly Option<int?> H2cPort = new("--h2c-port")
    {
        Description = "Optional second port that speaks cleartext HTTP/2 with prior knowledge (h2c), including WebSockets over HTTP/2.",
    };

    public static readonly Option<int?> MetricsPort = new("--metrics-port")
    {
        Description = "Optional port serving Prometheus metrics at /metrics; a separate port, so no sandbox path is shadowed.",
    };

    public static readonly Option<string> ListenAddress = new("--listen-address")
    {
        Description = "Address to listen on; * is every interface (IPv4 and IPv6).",
        DefaultValueFactory = _ => IngressOptions.AnyAddress,
    };

    public static readonly Option<string> LogLevel = new("--log-level")
    {
        Description = $"Log level, zap names: {ZapLogLevel.Names} (the last three log errors only).",
        DefaultValueFactory = _ => "info",
    };

    public static readonly Option<string?> Kubeconfig = new("--kubeconfig")
    {
        Description = "Kubeconfig file; otherwise $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.",
    };

    public static readonly Option<string?> SandboxesDir = new("--sandboxes-dir")
    {
        Description = "Directory of BatchSandbox / Sandbox manifests (YAML or JSON) for --provider-type file; watched for changes.",
    };

    public static readonly Option<string?> SecureAccessKeys = new("--secure-access-keys")
    {
        Description = "Signing keys of signed routes: id=BASE64[,id=BASE64...], id one character 0-9 or a-z.",
    };

    public static readonly Option<bool> RenewIntentEnabled = new("--renew-intent-enabled")
    {
        Description = "Publish renew intents for proxied sandboxes to Redis.",
    };

    public static readonly Option<string> RenewIntentRedisDsn = new("--renew-intent-redis-dsn")
    {
        Description = "Redis for renew intents: redis://[user:pass@]host:port/db or rediss:// for TLS.",
        DefaultValueFactory = _ => RenewIntentOptions.DefaultDsn,
    };

    public static readonly Option<string> RenewIntentQueueKey = new("--renew-intent-queue-key")
    {
        Description = "Redis list that renew intents are pushed onto.",
        DefaultValueFactory = _ => RenewIntentOptions.DefaultQueueKey,
    };

    public static readonly Option<long> RenewIntentQueueMaxLen = new("--renew-intent-queue-max-len")
    {
        Description = "Cap on the length of the renew-intent list; 0 means no cap.",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<int> RenewIntentMinInterval = new("--renew-intent-min-interval")
    {
        Description = "Seconds between two renew intents for the same sandbox.",
        DefaultValueFactory = _ => RenewIntentOptions.DefaultMinIntervalSeconds,
    };

    public static readonly Option<double> UpstreamConnectTimeout = new("--upstream-connect-timeout")
    {
        Description = "Seconds to wait for a TCP connection to a sandbox before answering 502.",
        DefaultValueFactory = _ => IngressOptions.DefaultUpstreamConnectTimeout.TotalSeconds,
    };

    public static readonly Option<double> UpstreamIdleTimeout = new("--upstream-idle-timeout")
    {
        Description = "Seconds a proxied request or WebSocket may pass with no byte in either direction before it is cut (504 if no response yet).",
        DefaultValueFactory = _ => IngressOptions.DefaultUpstreamIdleTimeout.TotalSeconds,
    };

    public static readonly Option<double> DrainTimeout = new("--drain-timeout")
    {
        Description = "Seconds that in-flight requests get to finish after SIGTERM/SIGINT.",
        DefaultValueFactory = _ => IngressOptions.DefaultDrainTimeout.TotalSeconds,
    };

    public static readonly Option<double> ShutdownDelay = new("--shutdown-delay")
    {
        Description = "Seconds to keep accepting after SIGTERM, with /status.ok answering 503, before draining (lets load balancers catch up).",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<double> UpstreamResponseTimeout = new("--upstream-response-timeout")
    {
        Description = "Seconds to wait for a sandbox's response headers before answering 504; 0 waits as long as it takes (long polls).",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<double> UpstreamPoolIdleTimeout = new("--upstream-pool-idle-timeout")
    {
        Description = "Seconds an unused pooled connection to a sandbox is kept open.",
        DefaultValueFactory = _ => IngressOptions.DefaultUpstreamPoolIdleTimeout.TotalSeconds,
    };

    public static readonly Option<double> RequestHeaderTimeout = new("--request-header-timeout")
    {
        Description = "Seconds a client has to send the whole request head; slower clients are disconnected.",
        DefaultValueFactory = _ => IngressOptions.DefaultRequestHeaderTimeout.TotalSeconds,
    };

    public static readonly Option<double> ClientIdleTimeout = new("--client-idle-timeout")
    {
        Description = "Seconds an idle keep-alive client connection is kept open.",
        DefaultValueFactory = _ => IngressOptions.DefaultClientIdleTimeout.TotalSeconds,
    };

    public static readonly Option<int> MaxRequestHeaderSize = new("--max-request-header-size")
    {
        Description = "Largest request head accepted, in KiB (request line and headers each); larger ones get 431 or 414.",
        DefaultValueFactory = _ => IngressOptions.DefaultMaxRequestHeaderKiB,
    };

    public static readonly Option<double> MinClientDataRate = new("--min-client-data-rate")
    {
        Description = "Bytes/s a client must keep sending a body or reading a response (after a 5 s grace); 0 disables. WebSockets are exempt.",
        DefaultValueFactory = _ => IngressOptions.DefaultMinClientDataRate,
    };

    public static readonly Option<bool> WakeOnRequest = new("--wake-on-request")
    {
        Description = "Resume a paused sandbox through the OpenSandbox server's lifecycle API when a request for it arrives (needs --lifecycle-api-url and --lifecycle-api-key-file).",
    };

    public static readonly Option<string?> LifecycleApiUrl = new("--lifecycle-api-url")
    {
        Description = "Base URL of the OpenSandbox server, e.g. http://opensandbox-server:8080.",
    };

    public static readonly Option<string?> LifecycleApiKeyFile = new("--lifecycle-api-key-file")
    {
        Description = "File holding the server's API key (sent as OPEN-SANDBOX-API-KEY), read again when it changes.",
    };

    public static readonly Option<double> HoldTimeout = new("--hold-timeout")
    {
        Description = "Seconds a request may wait for a sandbox that is paused, resuming or not ready yet; then 503 with Retry-After. 0 = answer at once.",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<int> HoldMaxRequests = new("--hold-max-requests")
    {
        Description = "Requests that may wait at once; the next gets 503 at once.",
        DefaultValueFactory = _ => IngressOptions.DefaultHoldMaxRequests,
    };

    public static readonly Option<double> UpstreamConnectRetry = new("--upstream-connect-retry")
    {
        Description = "Seconds a connection refused by a ready sandbox (its server still starting) is tried again, 25 ms doubling to 400 ms; 0 = 502 at once.",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<int> MaxRequestsPerSandbox = new("--max-requests-per-sandbox")
    {
        Description = "Requests and open WebSockets one sandbox may have at once; beyond that 429 with Retry-After: 1. 0 = no limit.",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<bool> UriRewrite = new("--uri-rewrite")
    {
        Description = "URI mode: keep redirects (Location, Content-Location, Refresh) and cookie paths under /<sandbox-id>/<port>; --uri-rewrite=false turns it off.",
        DefaultValueFactory = _ => true,
    };

    /// <summary>Builds the root command; <paramref name="run"/> receives validated options.</summary>
    public static RootCommand Create(Func<IngressOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand("OpenSandbox Ingress: HTTP and WebSocket reverse proxy in front of sandbox pods.")
        {
            Namespace, ProviderType, Mode, Port, H2cPort, MetricsPort, ListenAddress, LogLevel, Kubeconfig, SandboxesDir, SecureAccessKeys,
            RenewIntentEnabled, RenewIntentRedisDsn, RenewIntentQueueKey, RenewIntentQueueMaxLen, RenewIntentMinInterval,
            UpstreamConnectTimeout, UpstreamIdleTimeout, UpstreamResponseTimeout, UpstreamPoolIdleTimeout, RequestHeaderTimeout,
            ClientIdleTimeout, MaxRequestHeaderSize, MinClientDataRate, DrainTimeout, ShutdownDelay, WakeOnRequest, LifecycleApiUrl, LifecycleApiKeyFile, HoldTimeout, HoldMaxRequests,
            UpstreamConnectRetry, MaxRequestsPerSandbox, UriRewrite,
        };

        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintBuildInfoAction();
            }
        }

        root.SetAction(async (parseResult, cancellationToken) =>
        {
            var (options, error) = OptionsValidator.Validate(parseResult);
            if (options is null)
            {
                await Console.Error.WriteLineAsync($"{BuildInfo.ProgramName}: {error}").ConfigureAwait(false);
                return ExitBadInput;
            }

            return await run(options, cancellationToken).ConfigureAwait(false);
        });
        return root;
    }

    /// <summary>Parses and runs; System.CommandLine's own parse errors are printed as one line, not with the whole help.</summary>
    public static Task<int> InvokeAsync(string[] args, Func<IngressOptions, CancellationToken, Task<int>> run)
    {
        var parseResult = Create(run).Parse(args);
        if (parseResult.Errors.Count > 0 && parseResult.Action is not HelpAction && parseResult.Action is not PrintBuildInfoAction)
        {
            Console.Error.WriteLine($"{BuildInfo.ProgramName}: {parseResult.Errors[0].Message} (see --help)");
            return Task.FromResult(ExitBadInput);
        }

        // SIGTERM/SIGINT belong to the host, which drains for --drain-timeout; System.CommandLine's own handler
        // would end the process after its 2 s termination timeout, cutting the drain short.
        return parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private sealed class PrintBuildInfoAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(BuildInfo.Describe());
            return 0;
        }
    }
}
