using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;

namespace OpenSandbox.Ingress.Sandbox.Files;

/// <summary>
/// The <c>file</c> provider (SPEC §6.3): sandbox manifests in a directory, watched. A file that fails to
/// parse keeps the routes it had before (and is logged); it never touches the routes of other files.
/// </summary>
internal sealed partial class FileSandboxSource(SandboxSourceOptions options, SandboxDirectory directory, ILogger<FileSandboxSource> logger)
    : BackgroundService
{
    private readonly string _directoryPath = options.SandboxesDirectory
        ?? throw new ArgumentException("the file provider needs --sandboxes-dir", nameof(options));

    /// <summary>
    /// Rescans also run on this period, not only on file-system events: inotify watches can be exhausted
    /// or miss the symlink swaps of mounted ConfigMaps, and a stat of each file per second is cheap.
    /// </summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, LoadedFile> _files = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0, 1);

    private sealed record LoadedFile(DateTime LastWriteUtc, long Length, List<SandboxRecord> Records);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The first picture is loaded before the host reports started, so /status.ok is 200 from the first request.
        Rescan();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = new FileSystemWatcher(_directoryPath) { IncludeSubdirectories = false };
        watcher.Changed += OnFileSystemEvent;
        watcher.Created += OnFileSystemEvent;
        watcher.Deleted += OnFileSystemEvent;
        watcher.Renamed += OnFileSystemEvent;
        watcher.EnableRaisingEvents = true;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _changed.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Rescan();
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    private void OnFileSystemEvent(object sender, FileSystemEventArgs e)
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A rescan is already pending; it will see this change too.
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private void Rescan()
    {
        var present = ListManifests();
        var changed = false;
        foreach (var stale in _files.Keys.Where(path => !present.ContainsKey(path)).ToList())
        {
            _files.Remove(stale);
            LogFileRemoved(stale);
            changed = true;
        }

        foreach (var (path, info) in present)
        {
            if (_files.TryGetValue(path, out var loaded) && loaded.LastWriteUtc == info.LastWriteTimeUtc && loaded.Length == info.Length)
            {
                continue;
            }

            changed |= Load(path, info);
        }

        if (changed || !directory.IsSynced)
        {
            directory.ReplaceAll(Merge());
        }
    }

    /// <summary>Reads one file; on failure remembers its stamp (so it is not re-read every second) but keeps its old records.</summary>
    private bool Load(string path, FileInfo info)
    {
        var previous = _files.GetValueOrDefault(path)?.Records ?? [];
        try
        {
            using var text = File.OpenText(path);
            var (records, skipped) = ManifestFile.Read(text);
            foreach (var reason in skipped)
            {
                LogResourceSkipped(path, reason);
            }

            _files[path] = new LoadedFile(info.LastWriteTimeUtc, info.Length, records);
            LogFileLoaded(path, records.Count);
            return true;
        }
        catch (Exception e)
        {
            // Whatever a file holds, it must not stop the watch loop or touch other files' routes (SPEC §6.3).
            LogFileRejected(path, e.Message);
            _files[path] = new LoadedFile(info.LastWriteTimeUtc, info.Length, previous);
            return false;
        }
    }

    private SortedDictionary<string, FileInfo> ListManifests()
    {
        var manifests = new SortedDictionary<string, FileInfo>(StringComparer.Ordinal);
        try
        {
            foreach (var path in Directory.EnumerateFiles(_directoryPath))
            {
                var name = Path.GetFileName(path);
                if (name.StartsWith('.') || !IsManifestName(name))
                {
                    continue;
                }

                var info = new FileInfo(path);
                if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
                {
                    info = target;
                }

                if (info.Exists)
                {
                    manifests[path] = info;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDirectoryUnreadable(_directoryPath, e.Message);
        }

        return manifests;
    }

    private static bool IsManifestName(string name) =>
        name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>All records in file-name order; a namespace/name defined twice keeps its first definition.</summary>
    private List<SandboxRecord> Merge()
    {
        var seen = new HashSet<(string, string)>();
        var merged = new List<SandboxRecord>();
        foreach (var (path, file) in _files.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            foreach (var record in file.Records)
            {
                if (seen.Add((record.Namespace, record.Name)))
                {
                    merged.Add(record);
                }
                else
                {
                    LogDuplicate(path, record.Namespace, record.Name);
                }
            }
        }

        return merged;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} sandboxes from {Path}")]
    private partial void LogFileLoaded(string path, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Manifest {Path} is gone; its sandboxes are removed")]
    private partial void LogFileRemoved(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Manifest {Path} skipped, its previous sandboxes are kept: {Reason}")]
    private partial void LogFileRejected(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resource in {Path} skipped: {Reason}")]
    private partial void LogResourceSkipped(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox {Namespace}/{Name} in {Path} is already defined by an earlier file; ignored")]
    private partial void LogDuplicate(string path, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandboxes directory {Path} cannot be read: {Reason}")]
    private partial void LogDirectoryUnreadable(string path, string reason);
}
