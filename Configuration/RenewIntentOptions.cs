using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>Settings of renew-intent publishing to Redis (SPEC §9).</summary>
internal sealed record RenewIntentOptions
{
    private const string DefaultDsn = "redis://127.0.0.1:6379/0";
    private const string DefaultQueueKey = "opensandbox:renew:intent";
    private const int DefaultMinIntervalSeconds = 60;

    public static readonly Option<bool> EnabledFlag = new("--renew-intent-enabled")
    {
        Description = "Publish renew intents for proxied sandboxes to Redis.",
    };

    public static readonly Option<string> DsnFlag = new("--renew-intent-redis-dsn")
    {
        Description = "Redis for renew intents: redis://[user:pass@]host:port/db or rediss:// for TLS.",
        DefaultValueFactory = _ => DefaultDsn,
    };

    public static readonly Option<string> QueueKeyFlag = new("--renew-intent-queue-key")
    {
        Description = "Redis list that renew intents are pushed onto.",
        DefaultValueFactory = _ => DefaultQueueKey,
    };

    public static readonly Option<long> QueueMaxLengthFlag = new("--renew-intent-queue-max-len")
    {
        Description = "Cap on the length of the renew-intent list; 0 means no cap.",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<int> MinIntervalFlag = new("--renew-intent-min-interval")
    {
        Description = "Seconds between two renew intents for the same sandbox.",
        DefaultValueFactory = _ => DefaultMinIntervalSeconds,
    };

    public static IEnumerable<Option> Flags => [EnabledFlag, DsnFlag, QueueKeyFlag, QueueMaxLengthFlag, MinIntervalFlag];

    public bool Enabled { get; init; }
    public RedisDsn Dsn { get; init; } = RedisDsn.Parse(DefaultDsn);
    public string QueueKey { get; init; } = DefaultQueueKey;
    public long QueueMaxLength { get; init; }
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromSeconds(DefaultMinIntervalSeconds);

    /// <summary>Open requests renew again once per interval; with no interval every request already publishes.</summary>
    public bool RenewsOpenSessions => Enabled && MinInterval > TimeSpan.Zero;

    public static RenewIntentOptions Read(FlagReader flags)
    {
        if (!RedisDsn.TryParse(flags.Value(DsnFlag)!, out var dsn, out var dsnError))
        {
            dsn = flags.Fail(DsnFlag, dsnError, RedisDsn.Parse(DefaultDsn));
        }

        var queueKey = flags.Value(QueueKeyFlag);
        var maxLength = flags.Value(QueueMaxLengthFlag);
        var minInterval = flags.Value(MinIntervalFlag);
        return new RenewIntentOptions
        {
            Enabled = flags.Value(EnabledFlag),
            Dsn = dsn,
            QueueKey = string.IsNullOrWhiteSpace(queueKey) ? flags.Fail(QueueKeyFlag, "must not be empty", DefaultQueueKey) : queueKey,
            QueueMaxLength = maxLength < 0 ? flags.Fail(QueueMaxLengthFlag, "must be 0 (no cap) or more", 0L) : maxLength,
            MinInterval = TimeSpan.FromSeconds(minInterval < 0 ? flags.Fail(MinIntervalFlag, "must be 0 or more seconds", 0) : minInterval),
        };
    }
}
