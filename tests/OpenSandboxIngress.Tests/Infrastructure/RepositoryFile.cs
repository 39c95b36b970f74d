namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Files of the repository the tests read as shipped (deploy/, packaging/), found above the test binaries.</summary>
internal static class RepositoryFile
{
    /// <returns>The directory holding <paramref name="relativePath"/> (say <c>deploy/kustomization.yaml</c>).</returns>
    public static string DirectoryOf(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relativePath);
            if (File.Exists(candidate))
            {
                return Path.GetDirectoryName(candidate)!;
            }
        }

        throw new DirectoryNotFoundException($"{relativePath} not found above the test binaries");
    }
}
