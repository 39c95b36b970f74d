using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The ingress watches the sandboxes directory and nothing else: started from a directory with many subdirectories (in
/// a container the working directory is often <c>/</c>), it must not watch that tree for configuration files.
/// </summary>
public sealed class WatchedDirectoriesTests
{
    [Fact]
    public async Task Only_the_sandboxes_directory_is_watched_whatever_the_working_directory()
    {
        var workingDirectory = Directory.CreateTempSubdirectory("osb-cwd-");
        var sandboxes = Directory.CreateTempSubdirectory("osb-sandboxes-");
        try
        {
            for (var i = 0; i < 40; i++)
            {
                Directory.CreateDirectory(Path.Combine(workingDirectory.FullName, $"d{i}", "nested"));
            }

            await File.WriteAllTextAsync(Path.Combine(sandboxes.FullName, "box.yaml"), Manifests.BatchSandbox("box"), TestContext.Current.CancellationToken);
            await using var ingress = await IngressProcess.StartInDirectoryAsync(workingDirectory.FullName,
                "--provider-type", "file", "--sandboxes-dir", sandboxes.FullName, "--log-level", "warn");

            Assert.InRange(InotifyWatches(ingress.ProcessId), 1, 4);
        }
        finally
        {
            workingDirectory.Delete(recursive: true);
            sandboxes.Delete(recursive: true);
        }
    }

    /// <summary>Watches held by a process's inotify instances, from <c>/proc/PID/fdinfo</c>.</summary>
    private static int InotifyWatches(int processId)
    {
        var watches = 0;
        foreach (var fd in Directory.GetFiles($"/proc/{processId}/fd"))
        {
            if (new FileInfo(fd).LinkTarget is { } target && target.Contains("inotify", StringComparison.Ordinal))
            {
                watches += File.ReadLines($"/proc/{processId}/fdinfo/{Path.GetFileName(fd)}").Count(line => line.StartsWith("inotify wd:", StringComparison.Ordinal));
            }
        }

        return watches;
    }
}
