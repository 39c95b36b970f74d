using System.Text.Json;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>Best effort: the <c>metadata.name</c> in the kept first bytes of an object too large to parse, for the log.</summary>
internal static class ResourceNameProbe
{
    /// <param name="prefix">The first bytes of the JSON text; the rest was discarded.</param>
    /// <param name="metadataDepth">Reader depth of the <c>metadata</c> property: 1 for a list item, 2 inside a watch event.</param>
    public static string? Find(ReadOnlySpan<byte> prefix, int metadataDepth)
    {
        var reader = new Utf8JsonReader(prefix, isFinalBlock: false, state: default);
        var inMetadata = false;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (!inMetadata && reader.CurrentDepth == metadataDepth && reader.ValueTextEquals("metadata"u8))
                    {
                        inMetadata = true;
                    }
                    else if (inMetadata && reader.CurrentDepth == metadataDepth + 1 && reader.ValueTextEquals("name"u8))
                    {
                        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }
                }
                else if (inMetadata && reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == metadataDepth)
                {
                    return null;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON after all: the size alone is logged.
        }

        return null;
    }
}
