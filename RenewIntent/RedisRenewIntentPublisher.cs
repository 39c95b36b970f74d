using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using StackExchange.Redis;

namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>
/// Renew intents to Redis (SPEC §9): requests put intents on a bounded in-memory queue (dropped and counted when full)
/// and a background sender pushes them with <c>LPUSH</c> (+ <c>LTRIM</c> when capped). Redis being down or slow only
/// ever costs intents, never request latency; failures are logged at most once per <see cref="FailureLogInterval"/>.
/// </summary>
internal sealed partial class RedisRenewIntentPublisher : BackgroundService, IRenewIntents
{
    private const int QueueCapacity = 4096;
    private const int MaxBatch = 256;
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(5);

    private readonly RenewIntentOptions _options;
    private readonly RenewIntentThrottle _throttle;
    private readonly RenewIntentCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisRenewIntentPublisher> _logger;
    private readonly Channel<RenewIntentMessage> _queue = Channel.CreateBounded<RenewIntentMessage>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private long _lastFailureLogTimestamp;
    private long _failuresSinceLog;

    public RedisRenewIntentPublisher(RenewIntentOptions options, RenewIntentCounters counters, TimeProvider time,
        ILogger<RedisRenewIntentPublisher> logger)
    {
        _options = options;
        _counters = counters;
        _time = time;
        _logger = logger;
        _throttle = new RenewIntentThrottle(options.MinInterval, time);
    }

    public void Observe(string sandboxId, int port, string pathAndQuery)
    {
        if (!_throttle.TryAcquire(sandboxId))
        {
            _counters.AddThrottled();
            return;
        }

        // request_uri is the path alone, as the Go ingress publishes it: a query may carry credentials (SPEC §9).
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? pathAndQuery : pathAndQuery[..query];
        var observedAt = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        if (!_queue.Writer.TryWrite(new RenewIntentMessage(sandboxId, observedAt, port, path)))
        {
            _counters.AddDropped();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connection = await ConnectAsync().ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        var database = connection.GetDatabase(_options.Dsn.Database);
        RedisKey key = _options.QueueKey;
        var nextSweep = _time.GetTimestamp();
        var batch = new List<Task>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                // Issued together, the commands share round trips (StackExchange.Redis pipelines them) and keep order.
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var intent))
                {
                    batch.Add(PublishAsync(database, key, intent));
                }

                await Task.WhenAll(batch).ConfigureAwait(false);
                if (_time.GetTimestamp() >= nextSweep)
                {
                    _throttle.Sweep();
                    nextSweep = _time.GetTimestamp() + (long)(_options.MinInterval.TotalSeconds * _time.TimestampFrequency);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: intents still queued are dropped, as when Redis is away.
        }

        LogTotals(_counters.Published, _counters.Throttled, _counters.Dropped, _counters.Failed);
    }

    private async Task PublishAsync(IDatabase database, RedisKey key, RenewIntentMessage intent)
    {
        try
        {
            RedisValue payload = JsonSerializer.Serialize(intent, RenewIntentJsonContext.Default.RenewIntentMessage);
            if (_options.QueueMaxLength > 0)
            {
                // One MULTI/EXEC, so no reader ever sees the list one entry over its cap between the push and the trim.
                var transaction = database.CreateTransaction();
                _ = transaction.ListLeftPushAsync(key, payload);
                _ = transaction.ListTrimAsync(key, 0, _options.QueueMaxLength - 1);
                await transaction.ExecuteAsync().ConfigureAwait(false);
            }
            else
            {
                await database.ListLeftPushAsync(key, payload).ConfigureAwait(false);
            }

            _counters.AddPublished();
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            _counters.AddFailed();
            ReportFailure(e);
        }
    }

    /// <summary>Connects without failing when Redis is away: the multiplexer keeps retrying in the background.</summary>
    private Task<ConnectionMultiplexer> ConnectAsync()
    {
        var dsn = _options.Dsn;
        var configuration = new ConfigurationOptions
        {
            EndPoints = { { dsn.Host.Trim('[', ']'), dsn.Port } },
            User = dsn.User,
            Password = dsn.Password,
            DefaultDatabase = dsn.Database,
            Ssl = dsn.UseTls,
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            AsyncTimeout = 2000,
            SyncTimeout = 2000,
            ClientName = "opensandbox-ingress",
        };
        LogConnecting(dsn.ToString());
        return ConnectionMultiplexer.ConnectAsync(configuration);
    }

    private void ReportFailure(Exception e)
    {
        var now = _time.GetTimestamp();
        var suppressed = Interlocked.Increment(ref _failuresSinceLog);
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastFailureLogTimestamp), now) < FailureLogInterval && _lastFailureLogTimestamp != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _lastFailureLogTimestamp, now);
        Interlocked.Exchange(ref _failuresSinceLog, 0);
        LogPublishFailed(suppressed, e.Message);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Renew intents go to {Dsn}")]
    private partial void LogConnecting(string dsn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing renew intents to Redis failed ({Count} since the last report): {Reason}")]
    private partial void LogPublishFailed(long count, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Renew intents: {Published} published, {Throttled} throttled, {Dropped} dropped, {Failed} failed")]
    private partial void LogTotals(long published, long throttled, long dropped, long failed);
}
