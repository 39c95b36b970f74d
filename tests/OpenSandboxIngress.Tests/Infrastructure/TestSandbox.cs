using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenSandbox.Ingress.Sandbox.Kubernetes;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

internal enum TestSandboxKind
{
    /// <summary><c>sandbox.opensandbox.io/v1alpha1</c> BatchSandbox.</summary>
    BatchSandbox,

    /// <summary><c>agents.x-k8s.io/v1alpha1</c> Sandbox (agent-sandbox).</summary>
    AgentSandbox,
}

/// <summary>
/// One sandbox resource as tests describe it, rendered as YAML for the file provider (<see cref="ToYaml"/>) or as JSON
/// for the Kubernetes API emulator (<see cref="ToJsonObject"/>), from the same tree, with the fields the projections
/// read (<see cref="BatchSandboxProjection"/>, <see cref="AgentSandboxProjection"/>).
/// </summary>
/// <param name="Name">Null when the emulator names the object (<c>Upsert</c>, <c>Seed</c>).</param>
internal sealed record TestSandbox(TestSandboxKind Kind, string? Name)
{
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Null together with a null <see cref="Name"/>: the emulator sets it.</summary>
    public string? Namespace { get; init; } = "default";

    /// <summary>
    /// BatchSandbox: the one entry of the <c>sandbox.opensandbox.io/endpoints</c> annotation; AgentSandbox:
    /// <c>status.serviceFQDN</c>. Null: none at all.
    /// </summary>
    public string? Endpoint { get; init; } = "127.0.0.1";

    /// <summary>BatchSandbox: <c>status.ready</c> of one replica; AgentSandbox: the Ready condition is True when at least 1.</summary>
    public int Ready { get; init; } = 1;

    /// <summary>BatchSandbox <c>status.phase</c> (Paused, Resuming, …); null: none.</summary>
    public string? Phase { get; init; }

    /// <summary>The <c>opensandbox.io/secure-access-token</c> annotation; null: none.</summary>
    public string? Token { get; init; }

    public static TestSandbox Batch(string? name, string endpoint = "127.0.0.1", int ready = 1, string? @namespace = "default",
        string? token = null, string? phase = null) =>
        new(TestSandboxKind.BatchSandbox, name) { Endpoint = endpoint, Ready = ready, Namespace = @namespace, Token = token, Phase = phase };

    public static TestSandbox Agent(string? name, string fqdn, bool ready = true, string? @namespace = "default") =>
        new(TestSandboxKind.AgentSandbox, name) { Endpoint = fqdn, Ready = ready ? 1 : 0, Namespace = @namespace };

    public JsonObject ToJsonObject()
    {
        var type = Kind == TestSandboxKind.BatchSandbox ? CustomResourceType.BatchSandbox : CustomResourceType.AgentSandbox;
        var metadata = new JsonObject();
        if (Name is not null)
        {
            metadata["name"] = Name;
            metadata["namespace"] = Namespace;
        }

        var annotations = new JsonObject();
        if (Kind == TestSandboxKind.BatchSandbox && Endpoint is not null)
        {
            annotations[SandboxAnnotations.Endpoints] = new JsonArray(Endpoint).ToJsonString();
        }

        if (Token is not null)
        {
            annotations[SandboxAnnotations.SecureAccessToken] = Token;
        }

        if (annotations.Count > 0)
        {
            metadata["annotations"] = annotations;
        }

        var resource = new JsonObject { ["apiVersion"] = $"{type.Group}/{type.Version}", ["kind"] = type.Kind, ["metadata"] = metadata };
        if (Kind == TestSandboxKind.BatchSandbox)
        {
            resource["spec"] = new JsonObject { ["replicas"] = 1 };
            var status = new JsonObject { ["ready"] = Ready, ["replicas"] = 1 };
            if (Phase is not null)
            {
                status["phase"] = Phase;
            }

            resource["status"] = status;
        }
        else
        {
            var ready = Ready >= 1;
            var status = new JsonObject();
            if (Endpoint is not null)
            {
                status["serviceFQDN"] = Endpoint;
            }

            status["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Ready",
                ["status"] = ready ? "True" : "False",
                ["reason"] = ready ? "Ready" : "PodPending",
                ["message"] = ready ? "ok" : "pod not scheduled yet",
            });
            resource["status"] = status;
        }

        return resource;
    }

    public string ToJson() => ToJsonObject().ToJsonString();

    /// <summary>Block-style YAML of the same tree; every string is a double-quoted scalar (JSON string syntax is valid YAML).</summary>
    public string ToYaml()
    {
        var yaml = new StringBuilder();
        WriteMapping(yaml, ToJsonObject(), indent: 0, firstLineIndented: true);
        return yaml.ToString();
    }

    private static void WriteMapping(StringBuilder yaml, JsonObject mapping, int indent, bool firstLineIndented)
    {
        var first = true;
        foreach (var (key, value) in mapping)
        {
            if (!first || firstLineIndented)
            {
                yaml.Append(' ', indent);
            }

            first = false;
            yaml.Append(key).Append(':');
            switch (value)
            {
                case JsonObject { Count: > 0 } child:
                    yaml.Append('\n');
                    WriteMapping(yaml, child, indent + 2, firstLineIndented: true);
                    break;
                case JsonArray { Count: > 0 } sequence:
                    yaml.Append('\n');
                    foreach (var item in sequence)
                    {
                        yaml.Append(' ', indent + 2).Append("- ");
                        if (item is JsonObject { Count: > 0 } element)
                        {
                            WriteMapping(yaml, element, indent + 4, firstLineIndented: false);
                        }
                        else
                        {
                            yaml.Append(Scalar(item)).Append('\n');
                        }
                    }

                    break;
                default:
                    yaml.Append(' ').Append(Scalar(value)).Append('\n');
                    break;
            }
        }
    }

    private static string Scalar(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        _ => value.ToJsonString(Readable),
    };
}
