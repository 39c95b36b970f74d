using System.Text.Json;
using OpenSandbox.Ingress.Sandbox.Kubernetes;
using YamlDotNet.Core;

namespace OpenSandbox.Ingress.Sandbox.Files;

/// <summary>Reads the sandbox records of one manifest file (YAML or JSON, one or many documents, List kinds).</summary>
internal static class ManifestFile
{
    /// <summary>The records of the file, plus one line per resource that was skipped.</summary>
    /// <remarks>Each document is parsed, projected and dropped before the next is read, so what a large file leaves
    /// behind is its records, not its text or its objects.</remarks>
    /// <exception cref="InvalidDataException">The file is not valid YAML/JSON of the expected shape.</exception>
    public static (List<SandboxRecord> Records, List<string> Skipped) Read(TextReader text)
    {
        var records = new List<SandboxRecord>();
        var skipped = new List<string>();
        try
        {
            // JSON is YAML, so one parser serves both formats.
            foreach (var json in YamlDocuments.ToJson(text))
            {
                if (JsonSerializer.Deserialize(json, SandboxJsonContext.Default.SandboxResource) is { } document)
                {
                    Collect(document, records, skipped);
                }
            }
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"invalid YAML at line {e.Start.Line}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"a document does not have the shape of a sandbox resource: {e.Message}", e);
        }

        return (records, skipped);
    }

    private static void Collect(SandboxResource resource, List<SandboxRecord> records, List<string> skipped)
    {
        if (resource.Items is { } items)
        {
            foreach (var item in items)
            {
                Collect(item, records, skipped);
            }

            return;
        }

        if (SandboxProjection.TryProject(resource, expectedKind: null, out var reason) is { } record)
        {
            records.Add(record);
        }
        else
        {
            skipped.Add(reason!);
        }
    }
}
