using OpenSandbox.Ingress.Configuration;

namespace OpenSandbox.Ingress.Tests.Unit.Configuration;

public sealed class RedisDsnTests
{
    [Theory]
    [InlineData("redis://127.0.0.1:6379/0", "127.0.0.1", 6379, null, null, 0, false)]
    [InlineData("redis://redis", "redis", 6379, null, null, 0, false)]
    [InlineData("redis://redis/", "redis", 6379, null, null, 0, false)]
    [InlineData("rediss://user:p%40ss@cache.example:6380/15", "cache.example", 6380, "user", "p@ss", 15, true)]
    [InlineData("redis://:onlypass@h:1/2", "h", 1, null, "onlypass", 2, false)]
    [InlineData("redis://secret@h:1/2", "h", 1, null, "secret", 2, false)]
    [InlineData("redis://[::1]:6379/3", "[::1]", 6379, null, null, 3, false)]
    public void Valid_dsns_parse(string text, string host, int port, string? user, string? password, int db, bool tls)
    {
        Assert.True(RedisDsn.TryParse(text, out var dsn, out var error), error);
        Assert.Equal(new RedisDsn(host, port, user, password, db, tls), dsn);
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:6379")]
    [InlineData("http://h:6379/0")]
    [InlineData("redis://h:6379/x")]
    [InlineData("redis://h:6379/-1")]
    [InlineData("redis://h:6379/0/1")]
    [InlineData("redis://h:6379/0?ssl=true")]
    public void Invalid_dsns_are_rejected(string text) => Assert.False(RedisDsn.TryParse(text, out _, out _));

    [Fact]
    public void The_password_never_shows_in_text() =>
        Assert.Equal("rediss://user:***@h:1/2", RedisDsn.Parse("rediss://user:hunter2@h:1/2").ToString());
}
