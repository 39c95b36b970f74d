using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Limits;
using StackExchange.Redis;

namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>
/// Renew intents to Redis (SPEC §9): requests put intents on a bounded in-memory queue (dropped and counted when full)
/// and a background sender pushes them with <c>LPUSH</c> (+ <c>LTRIM</c> when capped). Redis being down or slow only
/// ever costs intents, never request latency; failures are logged at most once per <see cref="FailureLogInterval"/>.
/// Every command has a deadline (AsyncTimeout), and so has shutdown: see <see cref="StopAsync"/>. The totals line at
/// shutdown adds up: published + dropped + failed is every intent not throttled.
/// </summary>
internal sealed partial class RedisRenewIntentPublisher : BackgroundService, IRenewIntents
{
    private const int QueueCapacity = 4096;

    /// <summary>
    /// The queue is bounded in bytes too (SPEC §12): a path can be as long as a request line (64 KiB by default), so 4,096
    /// intents alone could hold 256 MiB. 1 MiB is 4,096 intents of 256 bytes; longer paths mean fewer intents queued.
    /// </summary>
    private const long QueueBudgetBytes = 1024 * 1024;

    /// <summary>What one queued intent is charged: its strings (two bytes a character) and a fixed part for the rest.</summary>
    private const int IntentOverheadBytes = 96;
    private const int MaxBatch = 256;
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ShutdownCloseTimeout = TimeSpan.FromMilliseconds(500);

    private readonly RenewIntentOptions _options;
    private readonly RenewIntentThrottle _throttle;
    private readonly RenewIntentCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisRenewIntentPublisher> _logger;
    private readonly Channel<RenewIntentMessage> _queue = Channel.CreateBounded<RenewIntentMessage>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    /// <summary>Cancelled at the host's shutdown deadline: stop waiting for Redis, count what is left, log the totals.</summary>
    private readonly CancellationTokenSource _giveUp = new();

    /// <summary>The intents of the batch in flight; 0 while unsettled (see <see cref="Settle"/>).</summary>
    private readonly int[] _settled = new int[MaxBatch];
    private readonly List<Task> _batch = new(MaxBatch);
    private int _batchSize;
    private readonly ByteBudget _budget = new(QueueBudgetBytes);

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
        var intent = new RenewIntentMessage(sandboxId, observedAt, port, path);
        var charge = Charge(intent);
        if (!_budget.TryCharge(charge))
        {
            _counters.AddDropped();
        }
        else if (!_queue.Writer.TryWrite(intent))
        {
            _budget.Release(charge);
            _counters.AddDropped();
        }
    }

    /// <summary>
    /// The web server has drained when the host stops this service (it stops after the server), so no request adds intents
    /// any more. Those still queued are sent until the host's shutdown deadline (<paramref name="cancellationToken"/>); at
    /// the deadline the rest are counted as dropped and the totals are logged before this returns.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var deadline = cancellationToken.Register(static giveUp => ((CancellationTokenSource)giveUp!).Cancel(), _giveUp);
        // Not cancelled by the deadline: after it the sender only counts and logs, bounded below (ShutdownCloseTimeout).
        await base.StopAsync(CancellationToken.None);
    }

    public override void Dispose()
    {
        _giveUp.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ConnectionMultiplexer? connection = null;
        IDatabase? database = null;
        RedisKey key = _options.QueueKey;
        try
        {
            connection = await ConnectAsync().WaitAsync(_giveUp.Token);
            database = connection.GetDatabase(_options.Dsn.Database);
            var nextSweep = _time.GetTimestamp();
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await SendBatchAsync(database, key);
                if (_time.GetTimestamp() >= nextSweep)
                {
                    _throttle.Sweep();
                    nextSweep = _time.GetTimestamp() + (long)(_options.MinInterval.TotalSeconds * _time.TimestampFrequency);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested || _giveUp.IsCancellationRequested)
        {
            // Shutting down: what is queued is sent below while the deadline allows.
        }

        // Late intents (a session closing now) are counted as dropped by Observe from here on.
        _queue.Writer.TryComplete();
        try
        {
            // Never a new batch after the deadline: a batch cut off by it keeps its slots for the count below.
            while (database is not null && !_giveUp.IsCancellationRequested && _queue.Reader.TryPeek(out _))
            {
                await SendBatchAsync(database, key);
            }
        }
        catch (OperationCanceledException) when (_giveUp.IsCancellationRequested)
        {
            // The deadline came first.
        }

        // Each intent is counted once: published or failed by its command, or dropped here, never both (see _settled).
        for (var slot = 0; slot < _batchSize; slot++)
        {
            if (Interlocked.Exchange(ref _settled[slot], 1) == 0)
            {
                _counters.AddDropped();
            }
        }

        while (TryTake(out _))
        {
            _counters.AddDropped();
        }

        LogTotals(_counters.Published, _counters.Throttled, _counters.Dropped, _counters.Failed);
        if (connection is not null)
        {
            await CloseAsync(connection);
        }
    }

    /// <summary>Takes the next queued intent and gives its bytes back to the budget.</summary>
    private bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RenewIntentMessage? intent)
    {
        if (!_queue.Reader.TryRead(out intent))
        {
            return false;
        }

        _budget.Release(Charge(intent));
        return true;
    }

    private static long Charge(RenewIntentMessage intent) =>
        IntentOverheadBytes + (2L * (intent.SandboxId.Length + intent.ObservedAt.Length + intent.RequestUri.Length));

    /// <summary>
    /// Up to <see cref="MaxBatch"/> queued intents, issued together (StackExchange.Redis pipelines them, in order) and
    /// awaited until each has its answer or its timeout (AsyncTimeout), or until the shutdown deadline.
    /// </summary>
    private async Task SendBatchAsync(IDatabase database, RedisKey key)
    {
        _batch.Clear();
        _batchSize = 0;
        while (_batchSize < MaxBatch && TryTake(out var intent))
        {
            Volatile.Write(ref _settled[_batchSize], 0);
            _batch.Add(PublishAsync(database, key, intent, _batchSize));
            _batchSize++;
        }

        await Task.WhenAll(_batch).WaitAsync(_giveUp.Token);
        _batchSize = 0;
    }

    /// <summary>Without waiting for commands still out (Redis may never answer them), and for at most a moment.</summary>
    private static async Task CloseAsync(ConnectionMultiplexer connection)
    {
        try
        {
            await connection.CloseAsync(allowCommandsToComplete: false).WaitAsync(ShutdownCloseTimeout);
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            // Exiting anyway.
        }

        _ = connection.DisposeAsync();
    }

    private async Task PublishAsync(IDatabase database, RedisKey key, RenewIntentMessage intent, int slot)
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
                await transaction.ExecuteAsync();
            }
            else
            {
                await database.ListLeftPushAsync(key, payload);
            }

            if (Settle(slot))
            {
                _counters.AddPublished();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (Settle(slot))
            {
                _counters.AddFailed();
            }

            ReportFailure(e);
        }
    }

    /// <summary>True for whoever settles the intent in <paramref name="slot"/> first: its command, or the shutdown count.</summary>
    private bool Settle(int slot) => Interlocked.Exchange(ref _settled[slot], 1) == 0;

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
