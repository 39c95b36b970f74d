using OpenSandbox.Ingress.Tests.Infrastructure;
using Snapshooter.Xunit3;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>Runs the ingress executable itself to check what operators see on the command line.</summary>
public sealed class CommandLineProcessTests
{
    [Fact]
    public async Task Help_lists_every_flag_of_the_spec_with_its_default_and_exits_0()
    {
        var (exitCode, stdout, _, _) = await IngressProcess.RunToExitAsync("--help");

        Assert.Equal(0, exitCode);
        foreach (var (flag, defaultValue) in new (string, string?)[]
                 {
                     ("--namespace", null), ("--provider-type", "batchsandbox"), ("--mode", "header"), ("--port", "28888"),
                     ("--log-level", "info"), ("--kubeconfig", null), ("--secure-access-keys", null), ("--renew-intent-enabled", null),
                     ("--renew-intent-redis-dsn", "redis://127.0.0.1:6379/0"), ("--renew-intent-queue-key", "opensandbox:renew:intent"),
                     ("--renew-intent-queue-max-len", "0"), ("--renew-intent-min-interval", "60"), ("--version", null),
                     ("--max-requests-per-sandbox", "0"), ("--uri-rewrite", null), ("--wake-on-request", null), ("--lifecycle-api-url", null),
                     ("--lifecycle-api-key-file", null), ("--hold-timeout", "0"), ("--hold-max-requests", "1024"), ("--upstream-connect-retry", "0"),
                 })
        {
            var line = stdout.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(flag + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"{flag} missing from --help");
            if (defaultValue is not null)
            {
                Assert.Contains($"[default: {defaultValue}]", line);
            }
        }
    }

    [Fact]
    public async Task Help_is_the_documented_text()
    {
        var (exitCode, stdout, _, _) = await IngressProcess.RunToExitAsync("--help");

        Assert.Equal(0, exitCode);
        Snapshot.Match(stdout);
    }

    [Fact]
    public async Task Version_prints_the_build_information_and_exits_0()
    {
        var (exitCode, stdout, _, _) = await IngressProcess.RunToExitAsync("--version");

        Assert.Equal(0, exitCode);
        Assert.Contains("Version:", stdout);
        Assert.Contains("Git commit:", stdout);
        Assert.Contains("Build time:", stdout);
        Assert.Contains(".NET 10", stdout);
        Assert.Matches(@"Platform:\s+linux/(amd64|arm64)", stdout);
    }

    [Theory]
    [InlineData("--provider-type", "nope")]
    [InlineData("--mode", "nope")]
    [InlineData("--port", "0")]
    [InlineData("--port", "70000")]
    [InlineData("--secure-access-keys", "a=!!")]
    [InlineData("--renew-intent-redis-dsn", "redis://h:1/x")]
    [InlineData("--kubeconfig", "/no/such/kubeconfig")]
    [InlineData("--port", "abc")]
    public async Task Bad_values_exit_non_zero_with_one_line_naming_the_flag(string flag, string value)
    {
        var (exitCode, stdout, stderr, _) = await IngressProcess.RunToExitAsync(flag, value);

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(flag, line);
        Assert.Empty(stdout);
    }
}
