using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;

namespace OpenSandbox.Ingress.Tests.Unit.Configuration;

public sealed class IngressOptionsTests
{
    private static (IngressOptions? Options, string? Error) Validate(params string[] args)
    {
        var parse = IngressCommandLine.Create((_, _) => Task.FromResult(0)).Parse(args);
        Assert.Empty(parse.Errors);
        return IngressOptions.Read(parse);
    }

    [Fact]
    public void Defaults_match_the_spec()
    {
        var (options, error) = Validate();

        Assert.Null(error);
        Assert.Equal(new IngressOptions(), options);
        Assert.Equal(ProviderType.BatchSandbox, options!.Source.Provider);
        Assert.Equal(RoutingMode.Header, options.Routing.Mode);
        Assert.Equal(28888, options.Listen.Port);
        Assert.Equal(LogLevel.Information, options.Logging.Level);
        Assert.Null(options.Source.Namespace);
        Assert.False(options.RenewIntent.Enabled);
        Assert.Equal("opensandbox:renew:intent", options.RenewIntent.QueueKey);
        Assert.Equal(new RedisDsn("127.0.0.1", 6379, null, null, 0, false), options.RenewIntent.Dsn);
        Assert.Equal(0, options.RenewIntent.QueueMaxLength);
        Assert.Equal(TimeSpan.FromSeconds(60), options.RenewIntent.MinInterval);
    }

    [Fact]
    public void Every_flag_is_read()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var kubeconfig = Path.Combine(dir, "config");
        File.WriteAllText(kubeconfig, "");

        var (options, error) = Validate("--namespace", "team", "--provider-type", "file", "--sandboxes-dir", dir, "--mode", "uri",
            "--port", "9000", "--h2c-port", "9001", "--listen-address", "127.0.0.1", "--log-level", "warn", "--kubeconfig", kubeconfig,
            "--secure-access-keys", "a=AQID", "--renew-intent-enabled", "--renew-intent-redis-dsn", "rediss://u:p@redis:6380/2",
            "--renew-intent-queue-key", "k", "--renew-intent-queue-max-len", "5", "--renew-intent-min-interval", "10",
            "--upstream-connect-timeout", "2.5", "--upstream-idle-timeout", "30", "--drain-timeout", "7", "--min-client-data-rate", "0",
            "--upstream-response-timeout", "3", "--request-header-timeout", "4", "--client-idle-timeout", "60",
            "--max-request-header-size", "128", "--shutdown-delay", "5", "--metrics-port", "9100", "--upstream-pool-idle-timeout", "20");

        Assert.Null(error);
        Assert.Equal("team", options!.Source.Namespace);
        Assert.Equal(ProviderType.File, options.Source.Provider);
        Assert.Equal(RoutingMode.Uri, options.Routing.Mode);
        Assert.Equal((9000, 9001, "127.0.0.1"), (options.Listen.Port, options.Listen.H2cPort, options.Listen.Address));
        Assert.Equal(LogLevel.Warning, options.Logging.Level);
        Assert.Equal(kubeconfig, options.Source.KubeconfigPath);
        Assert.Equal(1, options.Routing.SecureAccessKeys.Count);
        Assert.Equal(new RenewIntentOptions
        {
            Enabled = true,
            Dsn = new RedisDsn("redis", 6380, "u", "p", 2, true),
            QueueKey = "k",
            QueueMaxLength = 5,
            MinInterval = TimeSpan.FromSeconds(10),
        }, options.RenewIntent);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.Upstream.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Upstream.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), options.Shutdown.DrainTimeout);
        Assert.Equal(0, options.Listen.MinClientDataRate);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Upstream.ResponseTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), options.Listen.RequestHeaderTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Listen.ClientIdleTimeout);
        Assert.Equal(128, options.Listen.MaxRequestHeaderKiB);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Shutdown.Delay);
        Assert.Equal(9100, options.Listen.MetricsPort);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Upstream.PoolIdleTimeout);
    }

    [Theory]
    [InlineData("--provider-type", "kubernetes")]
    [InlineData("--mode", "path")]
    [InlineData("--port", "0")]
    [InlineData("--port", "70000")]
    [InlineData("--h2c-port", "28888")]
    [InlineData("--log-level", "verbose")]
    [InlineData("--secure-access-keys", "ab=AQID")]
    [InlineData("--renew-intent-redis-dsn", "http://redis:6379")]
    [InlineData("--renew-intent-redis-dsn", "redis://host/abc")]
    [InlineData("--kubeconfig", "/does/not/exist")]
    [InlineData("--sandboxes-dir", "/does/not/exist")]
    [InlineData("--listen-address", "localhost")]
    [InlineData("--renew-intent-queue-max-len", "-1")]
    [InlineData("--upstream-connect-timeout", "0")]
    [InlineData("--upstream-response-timeout", "-1")]
    [InlineData("--max-request-header-size", "4")]
    [InlineData("--min-client-data-rate", "-5")]
    [InlineData("--metrics-port", "28888")]
    [InlineData("--shutdown-delay", "100000")]
    [InlineData("--hold-timeout", "-1")]
    [InlineData("--hold-max-requests", "0")]
    [InlineData("--hold-probe-port", "true")]
    [InlineData("--upstream-connect-retry", "-1")]
    [InlineData("--max-requests-per-sandbox", "-1")]
    [InlineData("--browser-session-samesite", "strict")]
    [InlineData("--browser-session-max-age", "0.5")]
    public void Bad_values_fail_with_one_line_naming_the_flag(string flag, string value)
    {
        var (options, error) = Validate(flag, value);

        Assert.Null(options);
        Assert.StartsWith(flag + ":", error);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void A_TLS_port_needs_its_certificate_and_key_files()
    {
        Assert.StartsWith("--tls-cert-file:", Validate("--tls-port", "8443").Error);
        var certificate = Path.GetTempFileName();
        Assert.StartsWith("--tls-key-file:", Validate("--tls-port", "8443", "--tls-cert-file", certificate).Error);
        Assert.StartsWith("--tls-port:", Validate("--tls-port", "28888").Error);
        File.Delete(certificate);
    }

    [Theory]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("dpanic", LogLevel.Error)]
    [InlineData("panic", LogLevel.Error)]
    [InlineData("FATAL", LogLevel.Error)]
    public void Zap_level_names_are_accepted(string name, LogLevel level) => Assert.Equal(level, Validate("--log-level", name).Options!.Logging.Level);

    [Fact]
    public void The_file_provider_needs_a_directory() =>
        Assert.StartsWith("--sandboxes-dir:", Validate("--provider-type", "file").Error);

    [Theory]
    [InlineData("--lifecycle-api-url", "--wake-on-request")]
    [InlineData("--lifecycle-api-url", "--wake-on-request", "--lifecycle-api-url", "ftp://server")]
    [InlineData("--lifecycle-api-key-file", "--wake-on-request", "--lifecycle-api-url", "http://server:8080", "--lifecycle-api-key-file", "/does/not/exist")]
    public void Waking_needs_the_server_url_and_a_key_file(string flag, params string[] args)
    {
        var (options, error) = Validate(args);

        Assert.Null(options);
        Assert.StartsWith(flag + ":", error);
    }

    [Fact]
    public void The_lifecycle_url_keeps_its_base_path()
    {
        var keyFile = Path.GetTempFileName();
        var (options, _) = Validate("--wake-on-request", "--lifecycle-api-url", "http://server:8080/api", "--lifecycle-api-key-file", keyFile);

        Assert.Equal("http://server:8080/api/", options!.Lifecycle.ApiUrl!.AbsoluteUri);
        Assert.Equal(keyFile, options.Lifecycle.ApiKeyFile);
        File.Delete(keyFile);
    }
}
