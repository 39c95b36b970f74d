using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

/// <summary>
/// A Kubernetes API server for one custom resource, on a real loopback socket, speaking the wire protocol the
/// ingress uses: namespaced and cluster-wide list with <c>limit</c>/<c>continue</c>, <c>watch=true</c> streams of
/// newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), resourceVersion semantics with
/// <c>410 Gone</c> for compacted history, <c>timeoutSeconds</c>, optional TLS and bearer tokens, and fault switches.
/// Tests create, update and delete objects through its methods.
/// </summary>
internal sealed class KubernetesApiEmulator : IAsyncDisposable
{
    private readonly string _group;
    private readonly string _version;
    private readonly string _plural;
    private readonly string _kind;
    private readonly EmulatorCertificates? _certificates;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Type, string Namespace, string Json)> _history = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _resourceVersion = 1000;
    private long _oldestWatchable = 1000;
    private WebApplication? _app;

    private KubernetesApiEmulator(string group, string version, string plural, string kind, bool tls)
    {
        (_group, _version, _plural, _kind) = (group, version, plural, kind);
        _certificates = tls ? new EmulatorCertificates() : null;
    }

    public int Port { get; private set; }

    public Uri Server => new($"{(_certificates is null ? "http" : "https")}://127.0.0.1:{Port}");

    public string? CertificateAuthorityBase64 => _certificates?.AuthorityPemBase64;

    /// <summary>Requests must present a client certificate issued by the emulator's CA (mutual TLS).</summary>
    public bool RequireClientCertificate { get; set; }

    public EmulatorCertificates? Certificates => _certificates;

    /// <summary>Bearer token every request must carry; null accepts any request.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Every request's path and query, in arrival order.</summary>
    public ConcurrentQueue<string> RequestLog { get; } = new();

    /// <summary>The <c>Authorization</c> header of every request, in order ("" when there was none).</summary>
    public ConcurrentQueue<string> AuthorizationLog { get; } = new();

    /// <summary>Every request's path and query with its <c>Authorization</c> header, together.</summary>
    public ConcurrentQueue<(string PathAndQuery, string Authorization)> Requests { get; } = new();

    private CancellationTokenSource _endWatches = new();

    // Fault switches.
    private volatile TaskCompletionSource? _hang;
    public int ListFailuresToServe;
    public volatile bool CutNextWatchEventMidLine;
    public volatile bool SendMalformedEventNext;

    public static async Task<KubernetesApiEmulator> StartAsync(string group = "sandbox.opensandbox.io", string version = "v1alpha1",
        string plural = "batchsandboxes", string kind = "BatchSandbox", bool tls = false)
    {
        var emulator = new KubernetesApiEmulator(group, version, plural, kind, tls);
        await emulator.ListenAsync(0);
        return emulator;
    }

    /// <summary>A slow server: requests are held unanswered until <see cref="ReleaseHungRequests"/>.</summary>
    public void HangRequests() => _hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseHungRequests() => Interlocked.Exchange(ref _hang, null)?.TrySetResult();

    /// <summary>Ends every open watch normally, as the API server does at <c>timeoutSeconds</c>: clients reconnect.</summary>
    public void EndWatches() => Interlocked.Exchange(ref _endWatches, new CancellationTokenSource()).Cancel();

    /// <summary>Stops listening: connections are refused until <see cref="ResumeAsync"/>.</summary>
    public async Task RefuseConnectionsAsync()
    {
        var app = _app!;
        _app = null;
        Signal();
        await app.StopAsync(TimeSpan.FromSeconds(1));
        await app.DisposeAsync();
    }

    public Task ResumeAsync() => ListenAsync(Port);

    public string Upsert(string @namespace, string name, JsonObject resource)
    {
        lock (_lock)
        {
            var key = Key(@namespace, name);
            var type = _objects.ContainsKey(key) ? "MODIFIED" : "ADDED";
            var version = ++_resourceVersion;
            resource["apiVersion"] = $"{_group}/{_version}";
            resource["kind"] = _kind;
            var metadata = resource["metadata"] as JsonObject ?? new JsonObject();
            resource["metadata"] = metadata;
            metadata["name"] = name;
            metadata["namespace"] = @namespace;
            metadata["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
            _objects[key] = resource;
            _history.Add((version, type, @namespace, resource.ToJsonString()));
            Signal();
            return metadata["resourceVersion"]!.ToString();
        }
    }

    public void Delete(string @namespace, string name)
    {
        lock (_lock)
        {
            if (!_objects.Remove(Key(@namespace, name), out var resource))
            {
                return;
            }

            var version = ++_resourceVersion;
            resource["metadata"]!["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
            _history.Add((version, "DELETED", @namespace, resource.ToJsonString()));
            Signal();
        }
    }

    /// <summary>Forgets the event history: a watch or continue token from before now gets <c>410 Gone</c>.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _history.Clear();
            _oldestWatchable = _resourceVersion + 1;
        }
    }

    /// <summary>
    /// Compacts past every version a client has seen: a watch resumed from an old resourceVersion gets an ERROR 410
    /// event and must list again (a list starts a watchable version, so the client recovers).
    /// </summary>
    public void ExpireHistory()
    {
        lock (_lock)
        {
            _history.Clear();
            _resourceVersion += 2;
            _oldestWatchable = _resourceVersion;
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion to every open watch that asked for bookmarks.</summary>
    public void Bookmark()
    {
        lock (_lock)
        {
            _history.Add((_resourceVersion, "BOOKMARK", "", ""));
            Signal();
        }
    }

    /// <summary>Adds many objects at once, with one resourceVersion each but without event history (a large existing cluster).</summary>
    public void Seed(int count, Func<int, (string Namespace, string Name, JsonObject Resource)> make)
    {
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                var (ns, name, resource) = make(i);
                resource["apiVersion"] = $"{_group}/{_version}";
                resource["kind"] = _kind;
                var metadata = resource["metadata"] as JsonObject ?? new JsonObject();
                resource["metadata"] = metadata;
                metadata["name"] = name;
                metadata["namespace"] = ns;
                metadata["resourceVersion"] = (++_resourceVersion).ToString(CultureInfo.InvariantCulture);
                _objects[Key(ns, name)] = resource;
            }

            _oldestWatchable = _resourceVersion;
        }
    }

    private static string Key(string @namespace, string name) => @namespace + "/" + name;

    private void Signal()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            if (_certificates is not null)
            {
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = _certificates.Server;
                    https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                    https.AllowAnyClientCertificate();
                });
            }
        }));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private async Task HandleAsync(HttpContext context)
    {
        RequestLog.Enqueue(context.Request.Path + context.Request.QueryString);
        AuthorizationLog.Enqueue(context.Request.Headers.Authorization.ToString());
        Requests.Enqueue((context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.ToString()));
        if (RequireClientCertificate && !_certificates!.IsIssuedByAuthority(context.Connection.ClientCertificate))
        {
            await WriteStatusAsync(context, HttpStatusCode.Unauthorized, "Unauthorized", "client certificate required");
            return;
        }

        if (RequiredToken is not null && context.Request.Headers.Authorization != "Bearer " + RequiredToken)
        {
            await WriteStatusAsync(context, HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized");
            return;
        }

        if (_hang is { } hang)
        {
            await hang.Task.WaitAsync(context.RequestAborted);
        }

        if (!TryParseCollection(context.Request.Path.Value!, out var @namespace))
        {
            await WriteStatusAsync(context, HttpStatusCode.NotFound, "NotFound", "the server could not find the requested resource");
            return;
        }

        if (context.Request.Query["watch"] == "true")
        {
            await WatchAsync(context, @namespace);
        }
        else
        {
            await ListAsync(context, @namespace);
        }
    }

    private bool TryParseCollection(string path, out string? @namespace)
    {
        @namespace = null;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4 || parts[0] != "apis" || parts[1] != _group || parts[2] != _version)
        {
            return false;
        }

        if (parts.Length == 4)
        {
            return parts[3] == _plural;
        }

        if (parts.Length == 6 && parts[3] == "namespaces" && parts[5] == _plural)
        {
            @namespace = parts[4];
            return true;
        }

        return false;
    }

    private async Task ListAsync(HttpContext context, string? @namespace)
    {
        if (Interlocked.Decrement(ref ListFailuresToServe) >= 0)
        {
            await WriteStatusAsync(context, HttpStatusCode.InternalServerError, "InternalError", "injected failure");
            return;
        }

        var limit = int.TryParse(context.Request.Query["limit"], out var l) && l > 0 ? l : int.MaxValue;
        var offset = 0;
        long snapshotVersion;
        List<string> page;
        string? nextToken = null;
        lock (_lock)
        {
            snapshotVersion = _resourceVersion;
            if (context.Request.Query["continue"].ToString() is { Length: > 0 } token)
            {
                var split = token.Split(':');
                if (long.Parse(split[0], CultureInfo.InvariantCulture) < _oldestWatchable)
                {
                    offset = -1;
                }
                else
                {
                    offset = int.Parse(split[1], CultureInfo.InvariantCulture);
                }
            }

            var matching = _objects.Values.Where(o => @namespace is null || (string?)o["metadata"]!["namespace"] == @namespace).ToList();
            page = offset < 0 ? [] : matching.Skip(offset).Take(limit).Select(o => o.ToJsonString()).ToList();
            if (offset >= 0 && offset + page.Count < matching.Count)
            {
                nextToken = $"{snapshotVersion}:{offset + page.Count}";
            }
        }

        if (offset < 0)
        {
            await WriteStatusAsync(context, HttpStatusCode.Gone, "Expired", "The provided continue parameter is too old");
            return;
        }

        context.Response.ContentType = "application/json";
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{{\"kind\":\"{_kind}List\",\"apiVersion\":\"{_group}/{_version}\",\"metadata\":{{\"resourceVersion\":\"{snapshotVersion}\"");
        if (nextToken is not null)
        {
            builder.Append(CultureInfo.InvariantCulture, $",\"continue\":\"{nextToken}\"");
        }

        builder.Append("},\"items\":[").AppendJoin(',', page).Append("]}");
        await context.Response.WriteAsync(builder.ToString());
    }

    private async Task WatchAsync(HttpContext context, string? @namespace)
    {
        var from = long.Parse(context.Request.Query["resourceVersion"].ToString() is { Length: > 0 } rv ? rv : "0", CultureInfo.InvariantCulture);
        var bookmarks = context.Request.Query["allowWatchBookmarks"] == "true";
        var timeout = int.TryParse(context.Request.Query["timeoutSeconds"], out var t) ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _endWatches.Token);
        deadline.CancelAfter(timeout);
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync();

        bool expired;
        lock (_lock)
        {
            expired = from < _oldestWatchable - 1;
        }

        if (expired)
        {
            await WriteLineAsync(context, """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}""");
            return;
        }

        var sent = from;
        try
        {
            while (!deadline.IsCancellationRequested && _app is not null)
            {
                Task changed;
                List<(long Version, string Type, string Namespace, string Json)> pending;
                lock (_lock)
                {
                    changed = _changed.Task;
                    pending = _history.Where(e => e.Version > sent || (e.Type == "BOOKMARK" && e.Version >= sent)).ToList();
                }

                foreach (var entry in pending)
                {
                    if (entry.Type == "BOOKMARK")
                    {
                        if (bookmarks)
                        {
                            await WriteLineAsync(context, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"" + _kind + "\",\"metadata\":{\"resourceVersion\":\"" + entry.Version + "\"}}}");
                        }

                        continue;
                    }

                    sent = entry.Version;
                    if (@namespace is not null && entry.Namespace != @namespace)
                    {
                        continue;
                    }

                    if (!await WriteEventAsync(context, $$"""{"type":"{{entry.Type}}","object":{{entry.Json}}}"""))
                    {
                        return;
                    }
                }

                lock (_lock)
                {
                    _history.RemoveAll(e => e.Type == "BOOKMARK" && e.Version <= sent);
                }

                await changed.WaitAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds reached or the client left: end the stream like the API server does.
        }
    }

    /// <returns>False when a fault cut the connection.</returns>
    private async Task<bool> WriteEventAsync(HttpContext context, string line)
    {
        if (SendMalformedEventNext)
        {
            SendMalformedEventNext = false;
            await WriteLineAsync(context, "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":");
            await WriteLineAsync(context, "this is not json at all");
        }

        if (CutNextWatchEventMidLine)
        {
            CutNextWatchEventMidLine = false;
            await context.Response.WriteAsync(line[..(line.Length / 2)]);
            await context.Response.Body.FlushAsync();
            context.Abort();
            return false;
        }

        await WriteLineAsync(context, line);
        return true;
    }

    private static async Task WriteLineAsync(HttpContext context, string line)
    {
        await context.Response.WriteAsync(line + "\n");
        await context.Response.Body.FlushAsync();
    }

    private static Task WriteStatusAsync(HttpContext context, HttpStatusCode code, string reason, string message)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = (int)code,
        }));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await RefuseConnectionsAsync();
        }

        _certificates?.Dispose();
    }
}
