using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Keeps every log message of an in-process ingress, so tests can check what operators would read.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(DateTimeOffset At, LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue((DateTimeOffset.UtcNow, logLevel, category, formatter(state, exception)));
    }
}
