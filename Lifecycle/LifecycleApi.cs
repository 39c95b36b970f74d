using System.Net;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;

namespace OpenSandbox.Ingress.Lifecycle;

/// <summary>
/// The OpenSandbox server's lifecycle API (SPEC §13): <c>POST {base}/v1/sandboxes/{sandboxId}/resume</c> with the key
/// in <c>OPEN-SANDBOX-API-KEY</c>. The key comes from a file (a mounted Secret), read again whenever the file changes;
/// it is never logged. Every call has a deadline of its own (<see cref="LifecycleOptions.WakeCallTimeout"/>), so an API
/// that accepts and never answers holds a call no longer than a request would wait for it.
/// </summary>
internal sealed partial class LifecycleApi(LifecycleOptions options, ILogger<LifecycleApi> logger) : IDisposable
{
    public const string ApiKeyHeader = "OPEN-SANDBOX-API-KEY";

    private readonly Uri _baseUrl = options.ApiUrl ?? throw new ArgumentException("--wake-on-request needs --lifecycle-api-url", nameof(options));
    private readonly string _keyFile = options.ApiKeyFile ?? throw new ArgumentException("--wake-on-request needs --lifecycle-api-key-file", nameof(options));
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = options.WakeCallTimeout };
    private readonly Lock _keyLock = new();
    private (DateTime WrittenAt, string Key) _key;

    /// <summary>Asks the server to resume a sandbox; the outcome, never an exception.</summary>
    /// <param name="requestId">Sent as <c>X-Request-ID</c>, so the server's log names the request that woke it.</param>
    public async Task<WakeOutcome> ResumeAsync(string sandboxId, string requestId)
    {
        // 1. The key as the file says now.
        string key;
        try
        {
            key = CurrentKey();
        }
        catch (IOException e)
        {
            return WakeOutcome.Failed($"the API key file cannot be read ({e.GetType().Name})");
        }

        // 2. The call; 202 accepted, 409 already changing, anything else a failure.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, $"v1/sandboxes/{Uri.EscapeDataString(sandboxId)}/resume"));
        request.Headers.TryAddWithoutValidation(ApiKeyHeader, key);
        request.Headers.TryAddWithoutValidation("X-Request-ID", requestId);
        try
        {
            using var response = await _http.SendAsync(request);
            var outcome = response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent or HttpStatusCode.Conflict
                ? WakeOutcome.Accepted
                : WakeOutcome.Failed($"the lifecycle API answered {(int)response.StatusCode}");
            if (outcome.IsAccepted)
            {
                LogResumeAccepted(sandboxId, (int)response.StatusCode);
            }
            else
            {
                LogResumeRefused(sandboxId, (int)response.StatusCode);
            }

            return outcome;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            var failure = WakeOutcome.Failed($"the lifecycle API is unreachable ({e.GetBaseException().Message})");
            LogResumeUnreachable(sandboxId, e.GetBaseException().Message);
            return failure;
        }
    }

    public void Dispose() => _http.Dispose();

    private string CurrentKey()
    {
        var writtenAt = File.GetLastWriteTimeUtc(_keyFile);
        lock (_keyLock)
        {
            if (_key.Key is null || _key.WrittenAt != writtenAt)
            {
                _key = (writtenAt, File.ReadAllText(_keyFile).Trim());
            }

            return _key.Key;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resume of sandbox {SandboxId} requested: the lifecycle API answered {Status}")]
    private partial void LogResumeAccepted(string sandboxId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resume of sandbox {SandboxId} failed: the lifecycle API answered {Status}")]
    private partial void LogResumeRefused(string sandboxId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resume of sandbox {SandboxId} failed: the lifecycle API is unreachable: {Detail}")]
    private partial void LogResumeUnreachable(string sandboxId, string detail);
}

/// <summary>How a resume call ended; <see cref="Failure"/> is the one line a waiting request is answered with.</summary>
internal sealed record WakeOutcome(bool IsAccepted, string? Failure)
{
    /// <summary>202, 200 or 204; or 409: the sandbox is already changing state.</summary>
    public static readonly WakeOutcome Accepted = new(true, null);

    public static WakeOutcome Failed(string failure) => new(false, failure);
}
