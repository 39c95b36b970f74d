using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Authentication;
using k8s.Exceptions;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// List and watch of one custom resource collection. KubernetesClient provides the configuration (kubeconfig,
/// in-cluster), the CA and client-certificate handling and the (refreshing) credentials; the HTTP requests and their
/// JSON are ours, source-generated. The client's <c>Kubernetes</c> class is deliberately not constructed: it
/// implements every API group, which would root all of its models in the binary (twice the size, +25 MiB RSS).
/// </summary>
internal sealed class KubernetesApi : IDisposable
{
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(60);
    private const int MaxLoggedLineBytes = 200;

    private readonly HttpClient _http;
    private readonly ServiceClientCredentials? _credentials;

    public KubernetesApi(KubernetesClientConfiguration configuration)
    {
        Server = new Uri(configuration.Host ?? throw new KubeConfigException("the kubeconfig names no server"));
        _credentials = k8s.Kubernetes.CreateCredentials(configuration);
        // Watches are long-lived: deadlines are set per request instead of one for the whole client.
        _http = new HttpClient(CreateHandler(configuration)) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri Server { get; }

    /// <summary>kubeconfig from the flag, then $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.</summary>
    public static KubernetesClientConfiguration LoadConfiguration(string? kubeconfigPath) => KubernetesConfigurationLoader.Load(kubeconfigPath);

    /// <summary>One page, read as it streams in: items over <see cref="KubernetesInputLimits.MaxObjectBytes"/> are skipped.</summary>
    public async Task<ResourcePage> ListPageAsync(string collectionPath, int limit, string? continueToken, CancellationToken cancellationToken)
    {
        var query = $"?limit={limit}" + (continueToken is null ? "" : "&continue=" + Uri.EscapeDataString(continueToken));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ListTimeout);
        // Headers only: the body is parsed as it arrives, never buffered whole (a page of large items can be huge).
        using var response = await SendAsync(collectionPath + query, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        return await ListPageReader.ReadAsync(body, KubernetesInputLimits.MaxObjectBytes, timeout.Token);
    }

    /// <summary>
    /// The events of a watch from <paramref name="resourceVersion"/>, as they arrive. The sequence ends when the server
    /// closes the stream (its timeout). A line that is not an event, or is over the cap, is yielded as such so the
    /// caller can log and skip it.
    /// </summary>
    public async IAsyncEnumerable<WatchItem> WatchAsync(string collectionPath, string resourceVersion, int timeoutSeconds,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = $"?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The server ends the watch at timeoutSeconds; a stream that stays silent well past that is dead.
        deadline.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds + 30));
        using var response = await SendAsync(collectionPath + query, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
        using var lines = new BoundedLineReader(body, KubernetesInputLimits.MaxObjectBytes);
        while (await lines.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.IsOversized)
            {
                yield return new WatchItem(null, null, new OversizedObject(line.OversizedLength, ResourceNameProbe.Find(line.Bytes.Span, metadataDepth: 2)));
                continue;
            }

            if (line.Bytes.Span.Trim((byte)'\r').IsEmpty)
            {
                continue;
            }

            yield return Parse(line.Bytes.Span);
        }
    }

    private static WatchItem Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return new WatchItem(WatchEventParser.Parse(line), null, null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (or a lone surrogate escape) when read.
            return new WatchItem(null, Encoding.UTF8.GetString(line[..Math.Min(line.Length, MaxLoggedLineBytes)]), null);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string pathAndQuery, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Server, pathAndQuery));
        request.Headers.Accept.ParseAdd("application/json");
        if (_credentials is not null)
        {
            await _credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }

        var response = await _http.SendAsync(request, completion, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw new KubernetesApiException(response.StatusCode, await DescribeErrorAsync(response, cancellationToken));
        }
    }

    /// <summary>The Status an API server answers an error with is small; a larger body is cut here, not buffered whole.</summary>
    private static async Task<string> DescribeErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        const int MaxErrorBodyBytes = 64 * 1024;
        var prefix = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxErrorBodyBytes];
            var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            var status = JsonSerializer.Deserialize(buffer.AsSpan(0, length), SandboxJsonContext.Default.ApiStatus);
            return status?.Message is { } message ? $"{prefix}: {message}" : prefix;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => prefix + ": check the token or client certificate in the kubeconfig",
                HttpStatusCode.Forbidden => prefix + ": check the RBAC rules (get, list, watch)",
                _ => prefix,
            };
        }
    }

    /// <summary>TLS as the client library sets it up: the kubeconfig's CA (or the system's), client certificate, server name.</summary>
    private static SocketsHttpHandler CreateHandler(KubernetesClientConfiguration configuration)
    {
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        var caCertificates = configuration.SslCaCerts;
        handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            configuration.SkipTlsVerify
            || (caCertificates is null
                ? errors == System.Net.Security.SslPolicyErrors.None
                : k8s.Kubernetes.CertificateValidationCallBack(sender, caCertificates, certificate, chain, errors));
        if (!string.IsNullOrEmpty(configuration.TlsServerName))
        {
            handler.SslOptions.TargetHost = configuration.TlsServerName;
        }

        if (!string.IsNullOrEmpty(configuration.ClientCertificateData) || !string.IsNullOrEmpty(configuration.ClientCertificateFilePath))
        {
            handler.SslOptions.ClientCertificates = [LoadClientCertificate(configuration)];
        }

        return handler;
    }

    /// <summary>The client certificate and key, inline (base64 PEM) or from files, as kubeconfig allows.</summary>
    private static X509Certificate2 LoadClientCertificate(KubernetesClientConfiguration configuration)
    {
        var certificatePem = !string.IsNullOrEmpty(configuration.ClientCertificateData)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(configuration.ClientCertificateData))
            : File.ReadAllText(configuration.ClientCertificateFilePath!);
        var keyPem = !string.IsNullOrEmpty(configuration.ClientCertificateKeyData)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(configuration.ClientCertificateKeyData))
            : File.ReadAllText(configuration.ClientKeyFilePath ?? throw new KubeConfigException("client certificate without a key"));
        using var ephemeral = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        // Through PKCS#12 so the TLS stack gets a key it can always use.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>One line of a watch: an event, or the start of a line that is not one, or the size of one over the cap.</summary>
internal readonly record struct WatchItem(WatchEvent? Event, string? Malformed, OversizedObject? Oversized);
