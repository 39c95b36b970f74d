using System.Diagnostics;
using System.Text.RegularExpressions;
using Snapshooter.Xunit3;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The build takes any version string (SPEC §11): the product's sources are copied to a temporary directory and built
/// there with <c>-p:Version=…</c>, as <c>make build</c> and the Dockerfile pass it, then the result prints it.
/// </summary>
public sealed class BuildVersionTests
{
    [Fact]
    public async Task A_version_that_is_not_SemVer_builds_and_is_printed_as_given()
    {
        // What `git describe --tags --always --dirty` gives on an untagged, edited checkout.
        const string version = "4db3a99-dirty";
        var source = ProductSourceCopy();
        var output = Path.Combine(source, "out");

        var (buildExit, buildLog) = await RunAsync("dotnet", "build", Path.Combine(source, "OpenSandboxIngress.csproj"), "-c", "Debug",
            "-o", output, $"-p:Version={version}", "-p:GitCommit=0123abcd", "-p:BuildTime=2026-12-01T08:00:00Z", "-nologo", "-v:q");
        Assert.True(buildExit == 0, buildLog);
        var (exit, printed) = await RunAsync("dotnet", Path.Combine(output, "opensandbox-ingress.dll"), "--version");
        Directory.Delete(source, recursive: true);

        Assert.Equal(0, exit);
        Assert.Contains($"Version:    {version}\n", printed, StringComparison.Ordinal);
        // What scripts read, with the two lines that depend on the machine (SDK patch level, architecture) masked.
        Snapshot.Match(Regex.Replace(Regex.Replace(printed, @"(Runtime: +).*", "$1<runtime>"), @"(Platform: +).*", "$1<platform>"));
    }

    /// <summary>The product project and its sources, without the tests, the bench tools and build output.</summary>
    private static string ProductSourceCopy()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "OpenSandboxIngress.csproj")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root is not above the test binaries");
        }

        var copy = Directory.CreateTempSubdirectory("osb-build-").FullName;
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "tests" or "bench" or "bin" or "obj" or ".git" or "deploy" or "examples" || relative.Contains("/obj/", StringComparison.Ordinal))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, relative))!);
            File.Copy(file, Path.Combine(copy, relative));
        }

        return copy;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
