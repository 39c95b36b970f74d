namespace OpenSandbox.Ingress.Configuration;

/// <summary>Settings of renew-intent publishing to Redis (SPEC §9).</summary>
internal sealed record RenewIntentOptions
{
    public const string DefaultDsn = "redis://127.0.0.1:6379/0";
    public const string DefaultQueueKey = "opensandbox:renew:intent";
    public const int DefaultMinIntervalSeconds = 60;

    public bool Enabled { get; init; }
    public RedisDsn Dsn { get; init; } = RedisDsn.Parse(DefaultDsn);
    public string QueueKey { get; init; } = DefaultQueueKey;
    public long QueueMaxLength { get; init; }
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromSeconds(DefaultMinIntervalSeconds);
}
