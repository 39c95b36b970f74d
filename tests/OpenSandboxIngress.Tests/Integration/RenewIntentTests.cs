using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Tests.Infrastructure;
using StackExchange.Redis;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>Renew intents from the in-process ingress to a real redis-server child process, with a real backend.</summary>
public sealed class RenewIntentTests : IAsyncLifetime
{
    private const string QueueKey = "opensandbox:renew:intent";

    private TestBackend _backend = null!;
    private readonly HttpClient _client = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public async ValueTask InitializeAsync() => _backend = await TestBackend.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        await _backend.DisposeAsync();
    }

    private async Task<RedisServer> StartRedisAsync(string? password = null)
    {
        var redis = await RedisServer.StartAsync(password);
        _owned.Add(redis);
        return redis;
    }

    private async Task<InProcessIngress> StartIngressAsync(RenewIntentOptions renew, TimeProvider? time = null, ILoggerProvider? logs = null,
        params string[] sandboxes)
    {
        var manifests = sandboxes.ToDictionary(s => s + ".yaml", s => Manifests.BatchSandbox(s));
        var ingress = await InProcessIngress.StartAsync(configure: o => o with { RenewIntent = renew, Logging = new LoggingOptions { Level = LogLevel.Information } },
            manifests: manifests, overrideServices: services =>
            {
                if (time is not null)
                {
                    services.AddSingleton(time);
                }

                if (logs is not null)
                {
                    services.AddSingleton(logs);
                }
            });
        _owned.Add(ingress);
        return ingress;
    }

    private static RenewIntentOptions Enabled(RedisServer redis, int minIntervalSeconds = 60, long maxLength = 0, string? dsn = null) => new()
    {
        Enabled = true,
        Dsn = RedisDsn.Parse(dsn ?? $"redis://127.0.0.1:{redis.Port}/0"),
        QueueKey = QueueKey,
        MinInterval = TimeSpan.FromSeconds(minIntervalSeconds),
        QueueMaxLength = maxLength,
    };

    private async Task<HttpStatusCode> SendAsync(InProcessIngress ingress, string sandbox, string path = "/work?x=1", bool skip = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ingress.BaseAddress, path));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"{sandbox}-{_backend.Port}");
        if (skip)
        {
            request.Headers.TryAddWithoutValidation(IngressHeaders.AccessRenew, IngressHeaders.AccessRenewSkip);
        }

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static Task<long> WaitForLengthAsync(IDatabase db, long expected, string what, int database = 0) =>
        Eventually.WaitAsync(() => db.ListLengthAsync(QueueKey), n => n == expected, TimeSpan.FromSeconds(5), what);

    [Fact]
    public async Task In_uri_mode_the_intent_carries_the_path_the_sandbox_receives_without_the_query()
    {
        var redis = await StartRedisAsync();
        var ingress = await InProcessIngress.StartAsync(RoutingMode.Uri, o => o with { RenewIntent = Enabled(redis) },
            manifests: new Dictionary<string, string> { ["p.yaml"] = Manifests.BatchSandbox("pathbox") });
        _owned.Add(ingress);
        await using var client = await redis.ConnectAsync();
        var db = client.GetDatabase();

        using var response = await _client.GetAsync(new Uri(ingress.BaseAddress, $"/pathbox/{_backend.Port}/api/files?token=s3cr3t"),
            TestContext.Current.CancellationToken);
        await WaitForLengthAsync(db, 1, "the intent");
        var raw = (string)(await db.ListGetByIndexAsync(QueueKey, 0))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/files?token=s3cr3t", _backend.Requests.Single().RawTarget);
        using var intent = JsonDocument.Parse(raw);
        Assert.Equal("/api/files", intent.RootElement.GetProperty("request_uri").GetString());
        Assert.DoesNotContain("s3cr3t", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_WebSocket_held_open_for_three_and_a_half_intervals_renews_four_times_and_stops_when_closed()
    {
        var redis = await StartRedisAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var ingress = await StartIngressAsync(Enabled(redis, minIntervalSeconds: 1), clock, null, "terminal");
        await using var client = await redis.ConnectAsync();
        var db = client.GetDatabase();
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader(IngressHeaders.IngressTo, $"terminal-{_backend.Port}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{ingress.BaseAddress.Port}/ws"), TestContext.Current.CancellationToken);
        await WaitForLengthAsync(db, 1, "the intent of the upgrade request");

        // 3.5 intervals in steps of a tenth: the session reports at about 1, 2 and 3 intervals.
        for (var step = 0; step < 35; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        await WaitForLengthAsync(db, 4, "three renewals while open");
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => Task.FromResult(ingress.Services.GetRequiredService<OpenSessions>().Count), open => open == 0,
            TimeSpan.FromSeconds(5), "the session closed");
        for (var step = 0; step < 30; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(4, await db.ListLengthAsync(QueueKey));
        Assert.All(await db.ListRangeAsync(QueueKey), intent => Assert.Contains("\"sandbox_id\":\"terminal\"", (string)intent!));
    }

    [Fact]
    public async Task Fifty_requests_in_one_interval_publish_one_intent_and_the_next_interval_one_more()
    {
        var redis = await StartRedisAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-29T10:00:00.1234567Z", System.Globalization.CultureInfo.InvariantCulture));
        var ingress = await StartIngressAsync(Enabled(redis), clock, sandboxes: "busy");
        await using var client = await redis.ConnectAsync();
        var db = client.GetDatabase();

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(ingress, "busy"));
        }

        await WaitForLengthAsync(db, 1, "the first intent");
        using (var intent = JsonDocument.Parse((string)(await db.ListGetByIndexAsync(QueueKey, 0))!))
        {
            var root = intent.RootElement;
            Assert.Equal("busy", root.GetProperty("sandbox_id").GetString());
            Assert.Equal(_backend.Port, root.GetProperty("port").GetInt32());
            Assert.Equal("/work", root.GetProperty("request_uri").GetString());
            Assert.Equal("2026-11-29T10:00:00.1234567Z", root.GetProperty("observed_at").GetString());
            Assert.Equal(4, root.EnumerateObject().Count());
        }

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(ingress, "busy"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(ingress, "busy", "/later"));

        await WaitForLengthAsync(db, 2, "the intent of the next interval");
        Assert.Contains("\"request_uri\":\"/later\"", (string)(await db.ListGetByIndexAsync(QueueKey, 0))!);
    }

    [Fact]
    public async Task Two_sandboxes_get_one_intent_each()
    {
        var redis = await StartRedisAsync();
        var ingress = await StartIngressAsync(Enabled(redis), sandboxes: ["one", "two"]);
        await using var client = await redis.ConnectAsync();

        for (var i = 0; i < 5; i++)
        {
            await SendAsync(ingress, "one");
            await SendAsync(ingress, "two");
        }

        await WaitForLengthAsync(client.GetDatabase(), 2, "one intent per sandbox");
        var ids = (await client.GetDatabase().ListRangeAsync(QueueKey)).Select(v => JsonDocument.Parse((string)v!).RootElement.GetProperty("sandbox_id").GetString());
        Assert.Equal(["one", "two"], ids.Order());
    }

    [Fact]
    public async Task The_list_is_capped_at_the_maximum_length()
    {
        var redis = await StartRedisAsync();
        var sandboxes = Enumerable.Range(0, 20).Select(i => $"capped-{i}").ToArray();
        var ingress = await StartIngressAsync(Enabled(redis, maxLength: 5), sandboxes: sandboxes);
        await using var client = await redis.ConnectAsync();
        var db = client.GetDatabase();

        var longest = 0L;
        foreach (var sandbox in sandboxes)
        {
            await SendAsync(ingress, sandbox);
            longest = Math.Max(longest, await db.ListLengthAsync(QueueKey));
        }

        var newest = await Eventually.WaitAsync(async () => (string?)(await db.ListGetByIndexAsync(QueueKey, 0)),
            v => v?.Contains("capped-19", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(5), "the last intent");
        Assert.NotNull(newest);
        Assert.True(longest <= 5, $"the list reached {longest}");
        Assert.Equal(5, await db.ListLengthAsync(QueueKey));
    }

    [Fact]
    public async Task A_dsn_with_password_and_database_2_lands_in_database_2()
    {
        var redis = await StartRedisAsync(password: "s3cret pass");
        var ingress = await StartIngressAsync(Enabled(redis, dsn: $"redis://:s3cret%20pass@127.0.0.1:{redis.Port}/2"), sandboxes: "db2");
        await using var client = await redis.ConnectAsync();

        Assert.Equal(HttpStatusCode.OK, await SendAsync(ingress, "db2"));

        await WaitForLengthAsync(client.GetDatabase(2), 1, "the intent in database 2");
        Assert.Equal(0, await client.GetDatabase(0).ListLengthAsync(QueueKey));
    }

    [Fact]
    public async Task Redis_going_away_costs_no_request_and_publishing_resumes_when_it_returns()
    {
        var redis = await StartRedisAsync();
        var logs = new CapturingLoggerProvider();
        // The publisher's clock, which limits failure lines to one per 5 s: it moves only when the test advances it.
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var ingress = await StartIngressAsync(Enabled(redis, minIntervalSeconds: 0), clock, logs, "steady");
        var counters = ingress.Services.GetRequiredService<RenewIntentCounters>();
        await using (var client = await redis.ConnectAsync())
        {
            await SendAsync(ingress, "steady");
            await WaitForLengthAsync(client.GetDatabase(), 1, "an intent while Redis is up");
        }

        await redis.StopAsync();
        var failures = 0;
        List<(DateTimeOffset At, LogLevel Level, string Category, string Message)> Warnings() =>
            logs.Entries.Where(e => e.Category.EndsWith(nameof(RedisRenewIntentPublisher), StringComparison.Ordinal) && e.Level >= LogLevel.Warning).ToList();
        async Task<T> SendCounting<T>(Func<T> read)
        {
            if (await SendAsync(ingress, "steady") != HttpStatusCode.OK)
            {
                failures++;
            }

            return read();
        }

        // Requests while the intents they cause fail (each after the Redis client's 2 s timeout), the clock standing still.
        await Eventually.WaitAsync(() => SendCounting(() => counters.Failed), failed => failed >= 3, TimeSpan.FromSeconds(20),
            "three intents failing while Redis is away");
        var warnings = Warnings();
        Assert.NotEmpty(warnings);
        Assert.True(warnings.Count <= 3, $"{warnings.Count} failure lines for {counters.Failed} failures within one 5 s interval");

        // Once the interval has passed, the next failure is logged again.
        clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually.WaitAsync(() => SendCounting(() => Warnings().Count), lines => lines > warnings.Count, TimeSpan.FromSeconds(20),
            "a failure line after 5 s");
        Assert.Equal(0, failures);

        await redis.StartAgainAsync();
        await using var after = await redis.ConnectAsync();
        await Eventually.WaitAsync(async () =>
        {
            await SendAsync(ingress, "steady", "/after-restart");
            return await after.GetDatabase().ListLengthAsync(QueueKey);
        }, n => n > 0, TimeSpan.FromSeconds(20), "intents arriving after the restart");
    }

    [Fact]
    public async Task Intents_still_queued_at_shutdown_are_sent_while_Redis_answers_and_the_totals_add_up()
    {
        const int Workers = 8, PerWorker = 40, Expected = 1 + (Workers * PerWorker);
        var redis = await StartRedisAsync();
        var logs = new CapturingLoggerProvider();
        var ingress = await StartIngressAsync(Enabled(redis, minIntervalSeconds: 0), logs: logs, sandboxes: "queued");
        await using var client = await redis.ConnectAsync();
        var db = client.GetDatabase();
        await SendAsync(ingress, "queued");
        await WaitForLengthAsync(db, 1, "the first intent");

        // Redis holds every write for 1.5 s (inside the 2 s command timeout): the sender's batch waits, the rest stay queued.
        await db.ExecuteAsync("CLIENT", "PAUSE", "1500", "WRITE");
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < PerWorker; i++)
            {
                Assert.Equal(HttpStatusCode.OK, await SendAsync(ingress, "queued"));
            }
        })));
        // As the host does once the server has drained, with a deadline well beyond the pause.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ingress.Services.GetRequiredService<RedisRenewIntentPublisher>().StopAsync(deadline.Token);

        var totals = logs.Entries.Select(e => e.Message).Single(m => m.StartsWith("Renew intents:", StringComparison.Ordinal));
        var counts = System.Text.RegularExpressions.Regex.Match(totals, "(\\d+) published, (\\d+) throttled, 0 dropped, 0 failed");
        Assert.True(counts.Success, totals);
        // Concurrent requests of one sandbox can be throttled even with an interval of 0 (one that read the clock just before
        // another stored its later reading); whatever was not throttled was published.
        var (published, throttled) = (int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(Expected, published + throttled);
        Assert.Equal(published, await db.ListLengthAsync(QueueKey));
    }

    [Fact]
    public async Task Requests_that_opt_out_publish_nothing_and_the_header_is_not_forwarded()
    {
        var redis = await StartRedisAsync();
        var ingress = await StartIngressAsync(Enabled(redis), sandboxes: ["probe", "marker"]);
        await using var client = await redis.ConnectAsync();

        Assert.Equal(HttpStatusCode.OK, await SendAsync(ingress, "probe", skip: true));
        Assert.Null(_backend.LastRequest.Header(IngressHeaders.AccessRenew));
        await SendAsync(ingress, "marker");

        // The queue is FIFO: once the later intent is in Redis, the earlier request would be too.
        await WaitForLengthAsync(client.GetDatabase(), 1, "the marker's intent");
        Assert.Contains("marker", (string)(await client.GetDatabase().ListGetByIndexAsync(QueueKey, 0))!);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task No_connection_is_attempted_unless_enabled(bool enabled, bool expectConnection)
    {
        using var fakeRedis = new TcpListener(IPAddress.Loopback, 0);
        fakeRedis.Start();
        var port = ((IPEndPoint)fakeRedis.LocalEndpoint).Port;
        var renew = new RenewIntentOptions { Enabled = enabled, Dsn = RedisDsn.Parse($"redis://127.0.0.1:{port}/0") };
        var ingress = await StartIngressAsync(renew, sandboxes: "quiet");

        Assert.Equal(HttpStatusCode.OK, await SendAsync(ingress, "quiet"));

        if (expectConnection)
        {
            using var accepted = await fakeRedis.AcceptTcpClientAsync(TestContext.Current.CancellationToken).AsTask()
                .WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            Assert.NotNull(accepted);
        }
        else
        {
            // The ingress is started and has served a request; a connection, if any were made, would be pending by now.
            Assert.False(fakeRedis.Pending());
        }
    }
}
