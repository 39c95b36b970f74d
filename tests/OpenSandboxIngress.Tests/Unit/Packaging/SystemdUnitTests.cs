using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Packaging;

/// <summary>
/// The files of <c>packaging/</c> that go into the release archives: the systemd unit as systemd itself reads it
/// (<c>systemd-analyze</c>), and the environment file against the flags the binary declares.
/// </summary>
public sealed partial class SystemdUnitTests
{
    private const string SystemdAnalyze = "/usr/bin/systemd-analyze";
    private const string InstalledBinary = "/usr/local/bin/opensandbox-ingress";

    /// <summary>The exposure README "On nodes" states; a weaker unit fails here instead of quietly scoring worse.</summary>
    private const double StatedExposure = 1.1;

    private static readonly string PackagingDirectory = RepositoryFile.DirectoryOf("packaging/opensandbox-ingress.service");
    private static readonly string UnitPath = Path.Combine(PackagingDirectory, "opensandbox-ingress.service");
    private static readonly string EnvironmentPath = Path.Combine(PackagingDirectory, "opensandbox-ingress.env");

    /// <summary>
    /// The unit as shipped, except that ExecStart names the binary under test: <c>verify</c> checks that the executable
    /// exists, and nothing is installed in /usr/local/bin by a test.
    /// </summary>
    private static string UnitWithBinaryUnderTest()
    {
        var text = File.ReadAllText(UnitPath);
        Assert.Contains($"ExecStart={InstalledBinary} ", text, StringComparison.Ordinal);
        var path = Path.Combine(Directory.CreateTempSubdirectory("osb-unit-").FullName, "opensandbox-ingress.service");
        File.WriteAllText(path, text.Replace($"ExecStart={InstalledBinary} ", $"ExecStart={IngressProcess.ExecutablePath} ", StringComparison.Ordinal));
        return path;
    }

    private static async Task<(int ExitCode, string Output)> RunSystemdAnalyzeAsync(params string[] args)
    {
        if (!File.Exists(SystemdAnalyze))
        {
            Assert.Skip($"{SystemdAnalyze} is not installed (Debian's systemd package brings it; .ci/run installs it)");
        }

        var info = new ProcessStartInfo(SystemdAnalyze) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    [Fact]
    public async Task The_unit_passes_systemd_analyze_verify()
    {
        var (exitCode, output) = await RunSystemdAnalyzeAsync("verify", UnitWithBinaryUnderTest());

        Assert.True(exitCode == 0 && output.Length == 0, $"systemd-analyze verify exited {exitCode}: {output}");
    }

    [Fact]
    public async Task Systemd_analyze_security_rates_the_unit_ok_at_the_stated_exposure()
    {
        var (exitCode, output) = await RunSystemdAnalyzeAsync("security", "--offline=true", "--no-pager", UnitWithBinaryUnderTest());

        Assert.Equal(0, exitCode);
        var overall = OverallExposure().Match(output);
        Assert.True(overall.Success, output);
        var exposure = double.Parse(overall.Groups["score"].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= StatedExposure, $"exposure {exposure} is above the {StatedExposure} README states:\n{output}");
        Assert.Contains(overall.Groups["rating"].Value, new[] { "PERFECT", "SAFE", "OK" });
    }

    [Fact]
    public void The_stop_timeout_covers_the_default_shutdown_budget()
    {
        var match = Regex.Match(File.ReadAllText(UnitPath), @"^TimeoutStopSec=(\d+)s$", RegexOptions.Multiline);

        Assert.True(match.Success, "TimeoutStopSec=<n>s is missing");
        // The host's budget, then up to 2 s for the log flush and Redis's close (README, Behaviour decisions).
        var needed = new ShutdownOptions().Budget + TimeSpan.FromSeconds(2);
        Assert.True(TimeSpan.FromSeconds(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)) > needed);
    }

    [Fact]
    public void The_environment_file_documents_every_flag()
    {
        var documented = File.ReadLines(EnvironmentPath)
            .Select(line => DocumentedFlag().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups["flag"].Value)
            .ToHashSet(StringComparer.Ordinal);

        var declared = IngressOptions.Flags.Select(flag => flag.Name);
        Assert.Equal(declared.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_shipped_flags_are_valid_and_reach_the_binary_through_the_unit()
    {
        var assignment = File.ReadLines(EnvironmentPath).Single(line => line.StartsWith("OPENSANDBOX_INGRESS_FLAGS=", StringComparison.Ordinal));
        // systemd splits an unbraced $VARIABLE at whitespace into separate arguments.
        var args = assignment["OPENSANDBOX_INGRESS_FLAGS=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains($"ExecStart={InstalledBinary} $OPENSANDBOX_INGRESS_FLAGS\n", File.ReadAllText(UnitPath), StringComparison.Ordinal);
        var parse = IngressCommandLine.Create((_, _) => Task.FromResult(0)).Parse(args);
        Assert.Empty(parse.Errors);
        var (options, error) = IngressOptions.Read(parse);
        Assert.Null(error);
        Assert.Equal(new IngressOptions(), options);
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (?<score>\d+\.\d) (?<rating>[A-Z]+)")]
    private static partial Regex OverallExposure();

    /// <summary>A documentation line: <c># --flag</c> followed by <c>=</c>, a space or the end.</summary>
    [GeneratedRegex(@"^# (?<flag>--[a-z][a-z0-9-]*)(=|\s|$)")]
    private static partial Regex DocumentedFlag();
}
