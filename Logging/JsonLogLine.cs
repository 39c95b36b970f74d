using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// One log record as one JSON object, in the keys, order and value types of the framework's JSON console formatter
/// (<c>Timestamp</c>, <c>EventId</c>, <c>LogLevel</c>, <c>Category</c>, <c>Message</c>, <c>Exception</c> when there is one,
/// <c>State</c> with the message and every named value), so lines read the same as before the ingress wrote its own. Text
/// values longer than <see cref="LogLimits.MaxValueChars"/> are cut: a message may quote what a client or a peer sent.
/// </summary>
internal static class JsonLogLine
{
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";

    public static void Write<TState>(Utf8JsonWriter json, DateTimeOffset now, EventId eventId, LogLevel level, string category, string message,
        Exception? exception, TState state)
    {
        json.WriteStartObject();
        Span<char> timestamp = stackalloc char[TimestampFormat.Length];
        now.UtcDateTime.TryFormat(timestamp, out var written, TimestampFormat, CultureInfo.InvariantCulture);
        json.WriteString("Timestamp", timestamp[..written]);
        json.WriteNumber("EventId", eventId.Id);
        json.WriteString("LogLevel", LevelName(level));
        json.WriteString("Category", category);
        WriteText(json, "Message", message);
        if (exception is not null)
        {
            WriteText(json, "Exception", exception.ToString());
        }

        if (state is not null)
        {
            json.WriteStartObject("State");
            // The console formatter writes the state's ToString here, which is the formatted message for every state the
            // framework and [LoggerMessage] produce; the message is already at hand.
            WriteText(json, "Message", message);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    WriteValue(json, values[i].Key, values[i].Value);
                }
            }
            else if (state is IEnumerable<KeyValuePair<string, object?>> items)
            {
                foreach (var item in items)
                {
                    WriteValue(json, item.Key, item.Value);
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => level.ToString(),
    };

    /// <summary>Numbers and booleans as JSON numbers and booleans, null as null, anything else as its invariant text.</summary>
    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool boolean:
                json.WriteBoolean(key, boolean);
                break;
            case byte or sbyte or short or ushort or int:
                json.WriteNumber(key, Convert.ToInt32(value, CultureInfo.InvariantCulture));
                break;
            case uint unsigned:
                json.WriteNumber(key, unsigned);
                break;
            case long signed:
                json.WriteNumber(key, signed);
                break;
            case ulong unsigned:
                json.WriteNumber(key, unsigned);
                break;
            case decimal number:
                json.WriteNumber(key, number);
                break;
            case double number when double.IsFinite(number):
                json.WriteNumber(key, number);
                break;
            case float number when float.IsFinite(number):
                json.WriteNumber(key, number);
                break;
            case char character:
                json.WriteString(key, [character]);
                break;
            default:
                WriteText(json, key, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
                break;
        }
    }

    private static void WriteText(Utf8JsonWriter json, string key, string text)
    {
        if (text.Length <= LogLimits.MaxValueChars)
        {
            json.WriteString(key, text);
            return;
        }

        json.WriteString(key, string.Concat(LogLimits.Cut(text, LogLimits.MaxValueChars), LogLimits.TruncationMarker));
    }
}
