using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// Where the API server is and who the ingress is to it, with every credential form kubectl accepts: <c>token</c>,
/// <c>tokenFile</c>, client certificate and key (inline or files), <c>exec</c> plugins (run by the client library,
/// which refreshes their tokens), and the in-cluster service account, whose token is re-read as it rotates.
/// </summary>
internal static class KubernetesConfigurationLoader
{
    /// <summary>Where the kubelet mounts the pod's service-account token, CA and namespace.</summary>
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>kubeconfig from the flag, then $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.</summary>
    public static KubernetesClientConfiguration Load(string? kubeconfigPath) =>
        Load(kubeconfigPath, ServiceAccountDirectory, Environment.GetEnvironmentVariable);

    /// <param name="serviceAccountDirectory">Tests point this and <paramref name="environment"/> at fakes.</param>
    internal static KubernetesClientConfiguration Load(string? kubeconfigPath, string serviceAccountDirectory, Func<string, string?> environment)
    {
        var path = kubeconfigPath;
        if (string.IsNullOrEmpty(path))
        {
            path = environment("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        }

        if (!string.IsNullOrEmpty(path))
        {
            return FromKubeconfig(path);
        }

        return InCluster(serviceAccountDirectory, environment) ?? FromKubeconfig(KubernetesClientConfiguration.KubeConfigDefaultLocation);
    }

    /// <summary>
    /// The pod's service account, when the API server's address is in the environment and the token is mounted.
    /// Built here rather than by the client library so the token is a <see cref="TokenFileProvider"/> (re-read on
    /// rotation) and the directory can be a test's.
    /// </summary>
    internal static KubernetesClientConfiguration? InCluster(string serviceAccountDirectory, Func<string, string?> environment)
    {
        var host = environment("KUBERNETES_SERVICE_HOST");
        var port = environment("KUBERNETES_SERVICE_PORT");
        var tokenPath = Path.Combine(serviceAccountDirectory, "token");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port) || !File.Exists(tokenPath))
        {
            return null;
        }

        var caPath = Path.Combine(serviceAccountDirectory, "ca.crt");
        var authorities = new X509Certificate2Collection();
        if (File.Exists(caPath))
        {
            authorities.ImportFromPemFile(caPath);
        }

        var namespacePath = Path.Combine(serviceAccountDirectory, "namespace");
        return new KubernetesClientConfiguration
        {
            Host = new UriBuilder(Uri.UriSchemeHttps, host, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)).Uri.ToString(),
            SslCaCerts = authorities.Count > 0 ? authorities : null,
            TokenProvider = new TokenFileProvider(tokenPath),
            Namespace = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : null,
        };
    }

    /// <summary>
    /// A kubeconfig file. A current user that carries no credential at all (<c>user: {}</c>, the usual file for
    /// <c>kubectl proxy</c> and for clusters that allow anonymous reads) is anonymous, as kubectl and client-go read it;
    /// the client library refuses such a user, so the context is given none. A user the context names but the file
    /// does not hold still fails. A <c>tokenFile</c> user is anonymous to the library and gets the file's token here.
    /// </summary>
    private static KubernetesClientConfiguration FromKubeconfig(string path)
    {
        var kubeconfig = KubernetesClientConfiguration.LoadKubeConfig(path);
        var context = kubeconfig.Contexts?.FirstOrDefault(c => string.Equals(c.Name, kubeconfig.CurrentContext, StringComparison.OrdinalIgnoreCase));
        var userName = context?.ContextDetails?.User;
        var user = string.IsNullOrWhiteSpace(userName) ? null
            : kubeconfig.Users?.FirstOrDefault(u => string.Equals(u.Name, userName, StringComparison.OrdinalIgnoreCase));
        string? tokenFile = null;
        if (user is not null)
        {
            // kubectl: "If both token and tokenFile are present, token takes precedence."
            tokenFile = string.IsNullOrWhiteSpace(user.UserCredentials?.Token) ? KubeconfigTokenFile.Find(path, user.Name) : null;
            if (HasNoCredential(user.UserCredentials))
            {
                if (user.UserCredentials?.AuthProvider is { } provider && tokenFile is null)
                {
                    // The library ignores other auth-providers and would report a vague "no credentials".
                    throw new KubeConfigException($"user {user.Name}: the auth-provider credential form ('{provider.Name}') is not supported; use an exec credential plugin, as kubectl does");
                }

                context!.ContextDetails.User = null;
            }
        }

        KubernetesClientConfiguration configuration;
        try
        {
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig);
        }
        catch (KubeConfigException e) when (e.Message.Contains('\n', StringComparison.Ordinal))
        {
            // A failing exec plugin is reported with a whole exception dump; start-up failures are one line.
            throw new KubeConfigException(e.Message.Split('\n')[0].TrimEnd());
        }

        if (tokenFile is not null)
        {
            configuration.TokenProvider = new TokenFileProvider(tokenFile);
        }

        return configuration;
    }

    /// <summary>Nothing the library would authenticate with (an auth-provider is not counted: it supports none of them).</summary>
    private static bool HasNoCredential(UserCredentials? user) =>
        user is null || (string.IsNullOrWhiteSpace(user.Token) && string.IsNullOrWhiteSpace(user.UserName) && string.IsNullOrWhiteSpace(user.Password)
            && string.IsNullOrWhiteSpace(user.ClientCertificateData) && string.IsNullOrWhiteSpace(user.ClientKeyData)
            && string.IsNullOrWhiteSpace(user.ClientCertificate) && string.IsNullOrWhiteSpace(user.ClientKey)
            && user.ExternalExecution is null);
}
