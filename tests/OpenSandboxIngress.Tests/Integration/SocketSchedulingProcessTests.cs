using OpenSandbox.Ingress.Hosting;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The binary turns inline socket completions on for itself (Hosting/SocketScheduling), and an operator's <c>0</c> wins.
/// Seen from outside by the socket-engine threads: the runtime starts one per processor when completions run inline and
/// one for up to 30 processors when they do not.
/// </summary>
public sealed class SocketSchedulingProcessTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("0", false)]
    public async Task Socket_completions_run_inline_unless_the_environment_says_0(string? variable, bool inline)
    {
        if (Environment.ProcessorCount < 2)
        {
            Assert.Skip("with one processor both settings start one socket-engine thread");
        }

        if (Environment.GetEnvironmentVariable(SocketScheduling.Variable) is not null)
        {
            Assert.Skip($"this test process sets {SocketScheduling.Variable}, which the ingress would inherit");
        }

        await using var sandbox = await BackendAndManifest.StartAsync("scheduled");
        var launch = new IngressLaunch
        {
            Environment = variable is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [SocketScheduling.Variable] = variable },
        };
        await using var ingress = await IngressProcess.StartAsync(launch, "--provider-type", "file", "--sandboxes-dir", sandbox.Directory);

        var engines = await Eventually.WaitAsync(() => Task.FromResult(EngineThreads(ingress.ProcessId)), count => count > 0, TimeSpan.FromSeconds(5),
            "the socket-engine threads");
        Assert.Equal(inline ? Environment.ProcessorCount : 1, engines);
    }

    private static int EngineThreads(int processId) =>
        Directory.EnumerateDirectories($"/proc/{processId}/task").Count(task => ThreadName(task) == ".NET Sockets");

    /// <returns>The thread's name, or null when it ended while being looked at.</returns>
    private static string? ThreadName(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
