using System.CommandLine;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>Turns parsed flags into <see cref="IngressOptions"/>, or the first problem as "--flag: reason".</summary>
internal static class OptionsValidator
{
    public static (IngressOptions? Options, string? Error) Validate(ParseResult result)
    {
        string Fail(Option option, string reason) => $"{option.Name}: {reason}";

        var providerText = result.GetValue(IngressCommandLine.ProviderType);
        ProviderType? provider = providerText switch
        {
            "batchsandbox" => ProviderType.BatchSandbox,
            "agent-sandbox" => ProviderType.AgentSandbox,
            "file" => ProviderType.File,
            _ => null,
        };
        if (provider is null)
        {
            return (null, Fail(IngressCommandLine.ProviderType, $"unknown provider '{providerText}' (expected batchsandbox, agent-sandbox or file)"));
        }

        var modeText = result.GetValue(IngressCommandLine.Mode);
        RoutingMode? mode = modeText switch
        {
            "header" => RoutingMode.Header,
            "uri" => RoutingMode.Uri,
            _ => null,
        };
        if (mode is null)
        {
            return (null, Fail(IngressCommandLine.Mode, $"unknown mode '{modeText}' (expected header or uri)"));
        }

        var port = result.GetValue(IngressCommandLine.Port);
        if (port is < 1 or > 65535)
        {
            return (null, Fail(IngressCommandLine.Port, $"{port} is outside 1-65535"));
        }

        var h2cPort = result.GetValue(IngressCommandLine.H2cPort);
        if (h2cPort is < 1 or > 65535 || h2cPort == port)
        {
            return (null, Fail(IngressCommandLine.H2cPort, $"{h2cPort} is outside 1-65535 or equal to --port"));
        }

        var metricsPort = result.GetValue(IngressCommandLine.MetricsPort);
        if (metricsPort is < 1 or > 65535 || (metricsPort is not null && (metricsPort == port || metricsPort == h2cPort)))
        {
            return (null, Fail(IngressCommandLine.MetricsPort, $"{metricsPort} is outside 1-65535 or already used by another listener"));
        }

        var listenAddress = result.GetValue(IngressCommandLine.ListenAddress)!;
        if (listenAddress != IngressOptions.AnyAddress && !System.Net.IPAddress.TryParse(listenAddress, out _))
        {
            return (null, Fail(IngressCommandLine.ListenAddress, $"'{listenAddress}' is not an IP address or *"));
        }

        var logLevelText = result.GetValue(IngressCommandLine.LogLevel);
        if (!ZapLogLevel.TryParse(logLevelText, out var logLevel))
        {
            return (null, Fail(IngressCommandLine.LogLevel, $"unknown level '{logLevelText}' (expected {ZapLogLevel.Names})"));
        }

        var kubeconfig = result.GetValue(IngressCommandLine.Kubeconfig);
        if (!string.IsNullOrEmpty(kubeconfig) && !File.Exists(kubeconfig))
        {
            return (null, Fail(IngressCommandLine.Kubeconfig, $"file '{kubeconfig}' does not exist"));
        }

        var sandboxesDir = result.GetValue(IngressCommandLine.SandboxesDir);
        if (provider == ProviderType.File && string.IsNullOrEmpty(sandboxesDir))
        {
            return (null, Fail(IngressCommandLine.SandboxesDir, "required with --provider-type file"));
        }

        if (!string.IsNullOrEmpty(sandboxesDir) && !Directory.Exists(sandboxesDir))
        {
            return (null, Fail(IngressCommandLine.SandboxesDir, $"directory '{sandboxesDir}' does not exist"));
        }

        if (!SecureAccessKeys.TryParse(result.GetValue(IngressCommandLine.SecureAccessKeys), out var keys, out var keysError))
        {
            return (null, Fail(IngressCommandLine.SecureAccessKeys, keysError));
        }

        if (!RedisDsn.TryParse(result.GetValue(IngressCommandLine.RenewIntentRedisDsn)!, out var dsn, out var dsnError))
        {
            return (null, Fail(IngressCommandLine.RenewIntentRedisDsn, dsnError));
        }

        var queueKey = result.GetValue(IngressCommandLine.RenewIntentQueueKey);
        if (string.IsNullOrWhiteSpace(queueKey))
        {
            return (null, Fail(IngressCommandLine.RenewIntentQueueKey, "must not be empty"));
        }

        var maxLen = result.GetValue(IngressCommandLine.RenewIntentQueueMaxLen);
        if (maxLen < 0)
        {
            return (null, Fail(IngressCommandLine.RenewIntentQueueMaxLen, "must be 0 (no cap) or more"));
        }

        var minInterval = result.GetValue(IngressCommandLine.RenewIntentMinInterval);
        if (minInterval < 0)
        {
            return (null, Fail(IngressCommandLine.RenewIntentMinInterval, "must be 0 or more seconds"));
        }

        // Durations in seconds; the ones that may be 0 mean "off" there.
        var durations = new (Option<double> Option, bool ZeroAllowed)[]
        {
            (IngressCommandLine.UpstreamConnectTimeout, false), (IngressCommandLine.UpstreamIdleTimeout, false),
            (IngressCommandLine.UpstreamResponseTimeout, true), (IngressCommandLine.UpstreamPoolIdleTimeout, false),
            (IngressCommandLine.RequestHeaderTimeout, false), (IngressCommandLine.ClientIdleTimeout, false),
            (IngressCommandLine.DrainTimeout, false), (IngressCommandLine.ShutdownDelay, true), (IngressCommandLine.UpstreamConnectRetry, true),
            (IngressCommandLine.HoldTimeout, true),
        };
        var seconds = new Dictionary<Option<double>, TimeSpan>();
        foreach (var (option, zeroAllowed) in durations)
        {
            var value = result.GetValue(option);
            if (!double.IsFinite(value) || value < 0 || (value == 0 && !zeroAllowed) || value > TimeSpan.FromDays(1).TotalSeconds)
            {
                return (null, Fail(option, $"{value} is not a number of seconds {(zeroAllowed ? "from 0" : "above 0")} up to 86400"));
            }

            seconds[option] = TimeSpan.FromSeconds(value);
        }

        var maxHeaderKiB = result.GetValue(IngressCommandLine.MaxRequestHeaderSize);
        if (maxHeaderKiB is < 8 or > 1024)
        {
            return (null, Fail(IngressCommandLine.MaxRequestHeaderSize, $"{maxHeaderKiB} KiB is outside 8-1024"));
        }

        var minDataRate = result.GetValue(IngressCommandLine.MinClientDataRate);
        if (!double.IsFinite(minDataRate) || minDataRate < 0)
        {
            return (null, Fail(IngressCommandLine.MinClientDataRate, $"{minDataRate} is not a rate of 0 bytes/s or more"));
        }

        var maxPerSandbox = result.GetValue(IngressCommandLine.MaxRequestsPerSandbox);
        if (maxPerSandbox < 0)
        {
            return (null, Fail(IngressCommandLine.MaxRequestsPerSandbox, $"{maxPerSandbox} is not 0 (no limit) or more"));
        }

        var holdMax = result.GetValue(IngressCommandLine.HoldMaxRequests);
        if (holdMax < 1)
        {
            return (null, Fail(IngressCommandLine.HoldMaxRequests, $"{holdMax} is not 1 or more"));
        }

        var wake = result.GetValue(IngressCommandLine.WakeOnRequest);
        var lifecycleUrl = result.GetValue(IngressCommandLine.LifecycleApiUrl);
        var lifecycleKeyFile = result.GetValue(IngressCommandLine.LifecycleApiKeyFile);
        Uri? lifecycleBase = null;
        if (wake)
        {
            if (!Uri.TryCreate(lifecycleUrl, UriKind.Absolute, out lifecycleBase) || lifecycleBase.Scheme is not ("http" or "https"))
            {
                return (null, Fail(IngressCommandLine.LifecycleApiUrl, "--wake-on-request needs the http(s) base URL of the OpenSandbox server"));
            }

            if (string.IsNullOrEmpty(lifecycleKeyFile) || !File.Exists(lifecycleKeyFile))
            {
                return (null, Fail(IngressCommandLine.LifecycleApiKeyFile, "--wake-on-request needs a readable file holding the API key"));
            }

            // The base path is kept: {url}/v1/sandboxes/... is resolved against it.
            lifecycleBase = lifecycleBase.AbsoluteUri.EndsWith('/') ? lifecycleBase : new Uri(lifecycleBase.AbsoluteUri + "/");
        }

        var options = new IngressOptions
        {
            Namespace = string.IsNullOrWhiteSpace(result.GetValue(IngressCommandLine.Namespace)) ? null : result.GetValue(IngressCommandLine.Namespace),
            Provider = provider.Value,
            Mode = mode.Value,
            Port = port,
            H2cPort = h2cPort,
            MetricsPort = metricsPort,
            ListenAddress = listenAddress,
            LogLevel = logLevel,
            KubeconfigPath = string.IsNullOrEmpty(kubeconfig) ? null : kubeconfig,
            SandboxesDirectory = string.IsNullOrEmpty(sandboxesDir) ? null : sandboxesDir,
            SecureAccessKeys = keys,
            RenewIntent = new RenewIntentOptions
            {
                Enabled = result.GetValue(IngressCommandLine.RenewIntentEnabled),
                Dsn = dsn,
                QueueKey = queueKey,
                QueueMaxLength = maxLen,
                MinInterval = TimeSpan.FromSeconds(minInterval),
            },
            UpstreamConnectTimeout = seconds[IngressCommandLine.UpstreamConnectTimeout],
            UpstreamIdleTimeout = seconds[IngressCommandLine.UpstreamIdleTimeout],
            UpstreamResponseTimeout = seconds[IngressCommandLine.UpstreamResponseTimeout] is { Ticks: > 0 } response ? response : null,
            UpstreamPoolIdleTimeout = seconds[IngressCommandLine.UpstreamPoolIdleTimeout],
            RequestHeaderTimeout = seconds[IngressCommandLine.RequestHeaderTimeout],
            ClientIdleTimeout = seconds[IngressCommandLine.ClientIdleTimeout],
            MaxRequestHeaderKiB = maxHeaderKiB,
            MinClientDataRate = minDataRate,
            DrainTimeout = seconds[IngressCommandLine.DrainTimeout],
            ShutdownDelay = seconds[IngressCommandLine.ShutdownDelay],
            UpstreamConnectRetry = seconds[IngressCommandLine.UpstreamConnectRetry],
            WakeOnRequest = wake,
            LifecycleApiUrl = lifecycleBase,
            LifecycleApiKeyFile = wake ? lifecycleKeyFile : null,
            HoldTimeout = seconds[IngressCommandLine.HoldTimeout],
            HoldMaxRequests = holdMax,
            MaxRequestsPerSandbox = maxPerSandbox,
            UriRewrite = result.GetValue(IngressCommandLine.UriRewrite),
        };
        return (options, null);
    }
}
