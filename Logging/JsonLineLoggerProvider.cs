using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// Every log record of the process (the framework's included) as one JSON line (<see cref="JsonLogLine"/>) handed to the
/// shared <see cref="LogWriter"/>. A record is formatted on the thread that logs it, since its state may not outlive the
/// call, into a buffer of that thread's, then copied once into the queue; a record over the budget is dropped without that
/// copy. Level filtering is the logger factory's (the <c>AddFilter</c> rules); scopes are not written, as before.
/// </summary>
internal sealed class JsonLineLoggerProvider(LogWriter writer, TimeProvider? time = null) : ILoggerProvider
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        // The writer is the container's: it is flushed after every other service has stopped logging.
    }

    private sealed class Logger(JsonLineLoggerProvider provider, string category) : ILogger
    {
        /// <summary>A thread's buffer is dropped after a line this long, so one large line does not stay in memory.</summary>
        private const int KeptBufferBytes = 16 * 1024;

        [ThreadStatic]
        private static ArrayBufferWriter<byte>? _threadBuffer;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (message is null && exception is null)
            {
                return;
            }

            // Taken, not borrowed: a value whose ToString logs again gets a buffer of its own.
            var buffer = _threadBuffer ?? new ArrayBufferWriter<byte>(1024);
            _threadBuffer = null;
            using (var json = new Utf8JsonWriter(buffer))
            {
                JsonLogLine.Write(json, provider._time.GetUtcNow(), eventId, logLevel, category, message ?? "", exception, state);
            }

            buffer.Write("\n"u8);
            provider.Writer.TryWrite(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
            if (buffer.Capacity <= KeptBufferBytes)
            {
                _threadBuffer = buffer;
            }
        }
    }

    private LogWriter Writer => writer;
}
