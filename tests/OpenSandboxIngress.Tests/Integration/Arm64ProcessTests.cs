using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The linux-arm64 binary of <c>make dist</c> (named by <c>INGRESS_BINARY_ARM64</c>; .ci/run takes it out of the archive)
/// run on this x64 machine under Debian's qemu-user-static, with the arm64 C library of libc6-arm64-cross.
/// </summary>
public sealed class Arm64ProcessTests
{
    private const string Qemu = "/usr/bin/qemu-aarch64-static";
    private const string Arm64LibraryRoot = "/usr/aarch64-linux-gnu";

    /// <summary>qemu, the arm64 C library and the binary, or the test is skipped saying which is missing.</summary>
    private static IngressLaunch Emulated()
    {
        var binary = Environment.GetEnvironmentVariable("INGRESS_BINARY_ARM64");
        if (string.IsNullOrEmpty(binary) || !File.Exists(binary))
        {
            Assert.Skip("INGRESS_BINARY_ARM64 names no file: run make dist and point it at the arm64 binary (.ci/run does)");
        }

        if (!File.Exists(Qemu) || !Directory.Exists(Arm64LibraryRoot))
        {
            Assert.Skip($"{Qemu} or {Arm64LibraryRoot} is missing (Debian packages qemu-user-static and libc6-arm64-cross)");
        }

        // An emulated start takes a few seconds instead of tens of milliseconds; the probe's deadline allows for it.
        return new IngressLaunch { Command = [Qemu, "-L", Arm64LibraryRoot, Path.GetFullPath(binary)] };
    }

    [Fact]
    public async Task The_arm64_binary_prints_its_build_information()
    {
        var launch = Emulated();

        var (exitCode, stdout, stderr, _) = await IngressProcess.RunToExitAsync(launch, "--version");

        Assert.True(exitCode == 0, stderr);
        Assert.StartsWith("opensandbox-ingress", stdout, StringComparison.Ordinal);
        Assert.Contains("Platform:   linux/arm64", stdout, StringComparison.Ordinal);
        Assert.Matches(@"Runtime:\s+\.NET 10\.", stdout);
    }

    [Fact]
    public async Task The_arm64_binary_answers_its_probe_and_forwards_a_request()
    {
        var launch = Emulated();
        await using var sandbox = await BackendAndManifest.StartAsync("arm");
        await using var ingress = await IngressProcess.StartAsync(launch, "--provider-type", "file", "--sandboxes-dir", sandbox.Directory);

        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingress.Port}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/from-arm64?x=1");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, sandbox.RoutingKey);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GET /from-arm64?x=1", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("/from-arm64?x=1", sandbox.Backend.LastRequest.RawTarget);
    }
}
