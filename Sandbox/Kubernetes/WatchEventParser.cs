using System.Text.Json;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// Parses one watch line (at most the cap, already in memory) in place: the envelope is walked with
/// <see cref="Utf8JsonReader"/> and the <c>object</c> bytes are deserialized once the type says what they are, so the
/// order of the two properties does not matter and no intermediate document is built.
/// </summary>
internal static class WatchEventParser
{
    /// <exception cref="JsonException">The line is not a watch event.</exception>
    public static WatchEvent Parse(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a watch event is a JSON object");
        }

        string? type = null;
        var (objectStart, objectEnd) = (-1, -1);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.TokenType == JsonTokenType.String ? KnownType(ref reader) : throw new JsonException("the event type is not a string");
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                reader.Read();
                objectStart = (int)reader.TokenStartIndex;
                reader.Skip();
                objectEnd = (int)reader.BytesConsumed;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (type is null || objectStart < 0)
        {
            throw new JsonException("a watch event needs a type and an object");
        }

        var json = line[objectStart..objectEnd];
        return type == "ERROR"
            ? new WatchEvent(type, null, JsonSerializer.Deserialize(json, SandboxJsonContext.Default.ApiStatus))
            : new WatchEvent(type, JsonSerializer.Deserialize(json, SandboxJsonContext.Default.SandboxResource), null);
    }

    /// <summary>The five types as shared strings (no allocation per event); anything else as read.</summary>
    private static string KnownType(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("MODIFIED"u8) ? "MODIFIED"
        : reader.ValueTextEquals("ADDED"u8) ? "ADDED"
        : reader.ValueTextEquals("DELETED"u8) ? "DELETED"
        : reader.ValueTextEquals("BOOKMARK"u8) ? "BOOKMARK"
        : reader.ValueTextEquals("ERROR"u8) ? "ERROR"
        : reader.GetString()!;
}
