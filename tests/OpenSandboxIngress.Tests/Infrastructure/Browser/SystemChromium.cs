using PuppeteerSharp;

namespace OpenSandbox.Ingress.Tests.Infrastructure.Browser;

/// <summary>
/// Debian's <c>chromium</c> (installed by <c>.ci/run</c>), driven through PuppeteerSharp: headless, every name under
/// <see cref="Domain"/> resolved to 127.0.0.1 so Host routing works as with a wildcard DNS record. PuppeteerSharp's own
/// browser download is never used: the executable is the system's.
/// </summary>
internal static class SystemChromium
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary>A name only this browser resolves (to 127.0.0.1).</summary>
    public const string Domain = "sandbox.test";

    /// <summary>Where the suite leaves screenshots of the flows it drives.</summary>
    public static readonly string Screens = Environment.GetEnvironmentVariable("BROWSER_SCREENS") ?? "/tmp/issue24-screens";

    /// <param name="more">Further switches, such as <c>--ignore-certificate-errors</c> for a listener with a test certificate.</param>
    public static async Task<IBrowser> LaunchAsync(params string[] more)
    {
        if (!File.Exists(Executable))
        {
            Assert.Skip($"{Executable} is missing (Debian's chromium package; .ci/run installs it)");
        }

        Directory.CreateDirectory(Screens);
        string[] args =
        [
            // PuppeteerSharp joins the arguments into one command line: a value with spaces is quoted.
            $"--host-resolver-rules=\"MAP *.{Domain} 127.0.0.1\"",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            // Chromium's own sandbox needs user namespaces; tests run as root in containers.
            .. Environment.UserName == "root" ? ["--no-sandbox"] : Array.Empty<string>(),
            .. more,
        ];
        return await Puppeteer.LaunchAsync(new LaunchOptions { ExecutablePath = Executable, Headless = true, Args = args });
    }

    public static Task ScreenshotAsync(IPage page, string name) => page.ScreenshotAsync(Path.Combine(Screens, name + ".png"));
}
