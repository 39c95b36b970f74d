using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Metrics;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// Keeps the directory true to one custom resource (SPEC §6.4): a paginated list replaces the cache atomically,
/// then a watch from the list's resourceVersion applies changes. A dropped watch resumes from the last version seen
/// after a capped, jittered backoff; <c>410 Gone</c> (status or ERROR event) forces a fresh list, so objects deleted
/// while disconnected disappear. While the API server is away the cache keeps serving what it has.
/// </summary>
internal sealed partial class KubernetesSandboxSource(
    KubernetesApi api,
    CustomResourceType resourceType,
    SandboxSourceOptions options,
    SandboxDirectory directory,
    IngressMetrics metrics,
    ILogger<KubernetesSandboxSource> logger) : BackgroundService
{
    private const int PageSize = 500;
    private const int MinWatchSeconds = 300;

    private readonly string _collectionPath = resourceType.CollectionPath(options.Namespace);
    private readonly Backoff _backoff = Backoff.Default();

    /// <summary>The last resourceVersion seen, kept across a dropped watch so the next one resumes there (SPEC §6.4).</summary>
    private string? _resourceVersion;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarting(resourceType.Plural, api.Server, options.Namespace ?? "(all namespaces)");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _resourceVersion ??= await ListAsync(stoppingToken);
                await WatchAsync(_resourceVersion, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubernetesApiException e) when (e.IsGone)
            {
                LogRelist(e.Message);
                _resourceVersion = null;
            }
            catch (Exception e)
            {
                // Network faults, API errors, truncated streams: none of them may end the loop.
                var delay = _backoff.Next();
                metrics.WatchRestarted();
                LogFailure(_resourceVersion is null ? "list" : "watch", e.GetBaseException().Message, delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    /// <summary>Lists every page, then swaps the whole picture in at once.</summary>
    /// <returns>The resourceVersion to watch from.</returns>
    private async Task<string> ListAsync(CancellationToken cancellationToken)
    {
        var records = new List<SandboxRecord>();
        string? continueToken = null;
        string? resourceVersion;
        do
        {
            var page = await api.ListPageAsync(_collectionPath, PageSize, continueToken, cancellationToken);
            // The page arrived on a socket thread that also serves proxied connections (Hosting/SocketScheduling): its
            // projection, and at the end the swap of every record, run on the pool instead.
            await Task.Yield();
            foreach (var item in page.Items)
            {
                if (Project(item) is { } record)
                {
                    records.Add(record);
                }
            }

            foreach (var problem in page.Malformed)
            {
                LogSkipped("malformed object: " + problem);
            }

            foreach (var oversized in page.Oversized)
            {
                LogOversized(oversized.Bytes, KubernetesInputLimits.MaxObjectBytes, oversized.Name ?? "(name not in the first bytes)");
            }

            // A page without its metadata cannot say whether more follow: fail the list rather than replace the cache
            // with part of it.
            var metadata = page.Metadata ?? throw new JsonException("list page without metadata");
            resourceVersion = metadata.ResourceVersion;
            continueToken = string.IsNullOrEmpty(metadata.Continue) ? null : metadata.Continue;
        }
        while (continueToken is not null);

        if (string.IsNullOrEmpty(resourceVersion))
        {
            throw new JsonException("list response without metadata.resourceVersion");
        }

        directory.ReplaceAll(records);
        metrics.Relisted();
        _backoff.Reset();
        LogListed(records.Count, resourceVersion);
        return resourceVersion;
    }

    /// <summary>Applies events until the server ends the watch; every resourceVersion seen is kept at once.</summary>
    private async Task WatchAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        var timeoutSeconds = MinWatchSeconds + Random.Shared.Next(MinWatchSeconds);
        await foreach (var item in api.WatchAsync(_collectionPath, resourceVersion, timeoutSeconds, cancellationToken))
        {
            _backoff.Reset();
            if (item.Oversized is { } oversized)
            {
                LogOversized(oversized.Bytes, KubernetesInputLimits.MaxObjectBytes, oversized.Name ?? "(name not in the first bytes)");
            }
            else if (item.Event is { } watchEvent)
            {
                _resourceVersion = Apply(watchEvent) ?? _resourceVersion;
            }
            else
            {
                LogMalformedEvent(item.Malformed ?? "");
            }
        }
    }

    /// <returns>The event's resourceVersion, or null when it carries none.</returns>
    private string? Apply(WatchEvent watchEvent)
    {
        var resource = watchEvent.Object;
        switch (watchEvent.Type)
        {
            case "ADDED" or "MODIFIED":
                if (resource is not null && Project(resource) is { } record)
                {
                    directory.Upsert(record);
                }

                break;
            case "DELETED":
                if (resource?.Metadata is { Name: { } name } metadata)
                {
                    directory.Remove(string.IsNullOrEmpty(metadata.Namespace) ? SandboxProjection.DefaultNamespace : metadata.Namespace, name);
                }

                break;
            case "BOOKMARK":
                break;
            case "ERROR":
                throw ToException(watchEvent.Status);
            default:
                LogMalformedEvent("event of unknown type " + watchEvent.Type);
                return null;
        }

        return resource?.Metadata?.ResourceVersion;
    }

    private SandboxRecord? Project(SandboxResource resource)
    {
        var record = SandboxProjection.TryProject(resource, resourceType.Kind, out var reason);
        if (record is null)
        {
            LogSkipped(reason!);
        }

        return record;
    }

    /// <summary>An ERROR event, readable or not, ends the watch; 410 forces a fresh list.</summary>
    private static KubernetesApiException ToException(ApiStatus? status)
    {
        var code = status?.Code ?? 500;
        return new KubernetesApiException((System.Net.HttpStatusCode)code, $"watch ERROR event {code} {status?.Reason}: {status?.Message}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Resource} at {Server} in {Namespace}")]
    private partial void LogStarting(string resource, Uri server, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listed {Count} sandboxes at resourceVersion {ResourceVersion}; cache replaced")]
    private partial void LogListed(int count, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kubernetes {Phase} failed, retrying in {DelayMs:F0} ms; cached routes keep serving: {Reason}")]
    private partial void LogFailure(string phase, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch history expired, listing again: {Reason}")]
    private partial void LogRelist(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Malformed watch event skipped: {Line}")]
    private partial void LogMalformedEvent(string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kubernetes object of {Bytes} bytes skipped unread, over the {CapBytes}-byte cap: {Name}")]
    private partial void LogOversized(long bytes, int capBytes, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox resource skipped: {Reason}")]
    private partial void LogSkipped(string reason);
}
