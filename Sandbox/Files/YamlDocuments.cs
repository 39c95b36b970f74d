using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OpenSandbox.Ingress.Sandbox.Files;

/// <summary>
/// Turns each document of a YAML stream into UTF-8 JSON, so manifests are read by the same
/// source-generated JSON types as the Kubernetes API. Uses only YamlDotNet's event parser (no reflection).
/// Plain scalars follow the YAML 1.2 core schema (null, booleans, numbers); quoted scalars stay strings.
/// Aliases are refused: manifests have no use for them and they invite expansion bombs.
/// </summary>
internal static class YamlDocuments
{
    /// <summary>One document at a time, as it is read: a file of 100,000 sandboxes is never held whole, as text or as JSON.</summary>
    /// <exception cref="YamlException">While enumerating: the text is not valid YAML or uses an alias.</exception>
    public static IEnumerable<byte[]> ToJson(TextReader yaml)
    {
        var parser = new Parser(yaml);
        parser.Consume<StreamStart>();
        while (parser.TryConsume<DocumentStart>(out _))
        {
            var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                if (parser.Accept<DocumentEnd>(out _))
                {
                    writer.WriteNullValue();
                }
                else
                {
                    WriteNode(parser, writer);
                }
            }

            parser.Consume<DocumentEnd>();
            yield return buffer.ToArray();
        }

        parser.Consume<StreamEnd>();
    }

    private static void WriteNode(IParser parser, Utf8JsonWriter writer)
    {
        switch (parser.Current)
        {
            case Scalar scalar:
                parser.MoveNext();
                WriteScalar(scalar, writer);
                break;
            case MappingStart:
                parser.MoveNext();
                writer.WriteStartObject();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var key = parser.Consume<Scalar>();
                    writer.WritePropertyName(key.Value);
                    WriteNode(parser, writer);
                }

                writer.WriteEndObject();
                break;
            case SequenceStart:
                parser.MoveNext();
                writer.WriteStartArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    WriteNode(parser, writer);
                }

                writer.WriteEndArray();
                break;
            case AnchorAlias alias:
                throw new YamlException(alias.Start, alias.End, "aliases are not supported in sandbox manifests");
            default:
                throw new YamlException(parser.Current!.Start, parser.Current.End, "unexpected YAML event");
        }
    }

    private static void WriteScalar(Scalar scalar, Utf8JsonWriter writer)
    {
        var value = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain)
        {
            writer.WriteStringValue(value);
            return;
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                writer.WriteNullValue();
                return;
            case "true" or "True" or "TRUE":
                writer.WriteBooleanValue(true);
                return;
            case "false" or "False" or "FALSE":
                writer.WriteBooleanValue(false);
                return;
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            writer.WriteNumberValue(integer);
        }
        else if (LooksNumeric(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)
                 && double.IsFinite(real))
        {
            writer.WriteNumberValue(real);
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary>Digits with an optional sign, point and exponent; keeps words such as "Infinity" strings.</summary>
    private static bool LooksNumeric(string value) =>
        value.Length > 0 && !value.AsSpan().ContainsAnyExcept("0123456789+-.eE") && value.AsSpan().ContainsAnyInRange('0', '9');
}
