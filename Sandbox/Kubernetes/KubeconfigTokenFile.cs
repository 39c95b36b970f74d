using YamlDotNet.RepresentationModel;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// A user's <c>tokenFile</c> in a kubeconfig. kubectl accepts it, but the client library's kubeconfig model has no such
/// field (it silently dropped it, leaving the user anonymous), so it is read from the file's YAML here.
/// </summary>
internal static class KubeconfigTokenFile
{
    /// <returns>The token file's full path (relative paths are relative to the kubeconfig, as kubectl reads them), or null.</returns>
    public static string? Find(string kubeconfigPath, string userName)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(kubeconfigPath))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("users"), out var users) || users is not YamlSequenceNode entries)
        {
            return null;
        }

        foreach (var entry in entries.OfType<YamlMappingNode>())
        {
            if (string.Equals(Scalar(entry, "name"), userName, StringComparison.OrdinalIgnoreCase)
                && entry.Children.TryGetValue(new YamlScalarNode("user"), out var user) && user is YamlMappingNode credentials
                && Scalar(credentials, "tokenFile") is { Length: > 0 } tokenFile)
            {
                return Path.GetFullPath(tokenFile, Path.GetDirectoryName(Path.GetFullPath(kubeconfigPath))!);
            }
        }

        return null;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value?.Trim() : null;
}
