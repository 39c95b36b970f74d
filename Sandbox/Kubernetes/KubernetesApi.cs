using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Authentication;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// List and watch of one custom resource collection over the Kubernetes client's HTTP stack: the client provides
/// configuration, TLS, client certificates and (refreshing) credentials; the requests and their JSON are ours,
/// source-generated, so nothing depends on reflection.
/// </summary>
internal sealed class KubernetesApi : IDisposable
{
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(60);

    private readonly k8s.Kubernetes _client;
    private readonly ServiceClientCredentials? _credentials;

    public KubernetesApi(KubernetesClientConfiguration configuration)
    {
        // Watches are long-lived: deadlines are set per request instead of one for the whole client.
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        _client = new k8s.Kubernetes(configuration);
        _credentials = _client.Credentials;
        Server = _client.BaseUri;
    }

    public Uri Server { get; }

    /// <summary>kubeconfig from the flag, then $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.</summary>
    public static KubernetesClientConfiguration LoadConfiguration(string? kubeconfigPath)
    {
        var path = kubeconfigPath;
        if (string.IsNullOrEmpty(path))
        {
            path = Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        }

        if (!string.IsNullOrEmpty(path))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        }

        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(KubernetesClientConfiguration.KubeConfigDefaultLocation);
    }

    public async Task<ResourceList> ListPageAsync(string collectionPath, int limit, string? continueToken, CancellationToken cancellationToken)
    {
        var query = $"?limit={limit}" + (continueToken is null ? "" : "&continue=" + Uri.EscapeDataString(continueToken));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ListTimeout);
        using var response = await SendAsync(collectionPath + query, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(body, SandboxJsonContext.Default.ResourceList, timeout.Token).ConfigureAwait(false)
               ?? throw new JsonException("empty list response");
    }

    /// <summary>
    /// The lines of a watch from <paramref name="resourceVersion"/>, as they arrive. The sequence ends when the server
    /// closes the stream (its timeout); a line that is not JSON is yielded as null so the caller can log and skip it.
    /// </summary>
    public async IAsyncEnumerable<(WatchEvent? Event, string Line)> WatchAsync(string collectionPath, string resourceVersion, int timeoutSeconds,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = $"?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The server ends the watch at timeoutSeconds; a stream that stays silent well past that is dead.
        deadline.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds + 30));
        using var response = await SendAsync(collectionPath + query, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(deadline.Token).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            WatchEvent? watchEvent;
            try
            {
                watchEvent = JsonSerializer.Deserialize(line, SandboxJsonContext.Default.WatchEvent);
            }
            catch (JsonException)
            {
                watchEvent = null;
            }

            yield return (watchEvent, line);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string pathAndQuery, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Server, pathAndQuery));
        request.Headers.Accept.ParseAdd("application/json");
        if (_credentials is not null)
        {
            await _credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var response = await _client.HttpClient.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw new KubernetesApiException(response.StatusCode, await DescribeErrorAsync(response, cancellationToken).ConfigureAwait(false));
        }
    }

    private static async Task<string> DescribeErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var prefix = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            var status = await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
                SandboxJsonContext.Default.ApiStatus, cancellationToken).ConfigureAwait(false);
            return status?.Message is { } message ? $"{prefix}: {message}" : prefix;
        }
        catch (JsonException)
        {
            return response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => prefix + ": check the token or client certificate in the kubeconfig",
                HttpStatusCode.Forbidden => prefix + ": check the RBAC rules (get, list, watch)",
                _ => prefix,
            };
        }
    }

    public void Dispose() => _client.Dispose();
}
