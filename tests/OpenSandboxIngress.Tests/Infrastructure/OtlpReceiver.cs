using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>One span as an OTLP collector receives it; ids in lower-case hex, attributes by key.</summary>
internal sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, object> Attributes, IReadOnlyList<string> Events, string ServiceName);

/// <summary>
/// An OTLP/HTTP traces receiver on a real loopback socket: <c>POST /v1/traces</c> with an
/// <c>ExportTraceServiceRequest</c> in protobuf, decoded field by field (the OTLP field numbers) with Google.Protobuf's
/// wire reader. It can answer slowly, as a collector under load does.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    /// <summary>Export calls received (each one a batch).</summary>
    public int Posts => Volatile.Read(ref _posts);

    /// <summary>How long each export call waits before it is answered.</summary>
    public TimeSpan Delay { get; set; }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The Authorization header of the last export call, as OTEL_EXPORTER_OTLP_HEADERS sets it.</summary>
    public string? LastAuthorization { get; private set; }

    private int _posts;

    public static async Task<OtlpReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", receiver.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Endpoint = new Uri(address);
        return receiver;
    }

    public IEnumerable<ReceivedSpan> InTrace(string traceId) => Spans.Where(span => span.TraceId == traceId);

    private async Task ReceiveAsync(HttpContext context)
    {
        Interlocked.Increment(ref _posts);
        LastAuthorization = context.Request.Headers.Authorization.ToString();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        // ExportTraceServiceRequest: 1 = resource_spans.
        foreach (var resourceSpans in Fields(body.ToArray(), 1))
        {
            // ResourceSpans: 1 = resource (1 = attributes), 2 = scope_spans (2 = spans).
            var service = Fields(resourceSpans, 1).SelectMany(resource => Fields(resource, 1)).Select(Attribute)
                .FirstOrDefault(a => a.Key == "service.name").Value as string ?? "";
            foreach (var span in Fields(resourceSpans, 2).SelectMany(scope => Fields(scope, 2)))
            {
                Spans.Enqueue(Span(span, service));
            }
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        context.Response.ContentType = "application/x-protobuf";
    }

    /// <summary>Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 11 events (2 = name).</summary>
    private static ReceivedSpan Span(byte[] span, string service)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var attributes = new Dictionary<string, object>();
        var events = new List<string>();
        var input = new CodedInputStream(span);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 9:
                    var (key, value) = Attribute(input.ReadBytes().ToByteArray());
                    attributes[key] = value;
                    break;
                case 11:
                    events.Add(StringField(new CodedInputStream(input.ReadBytes().ToByteArray()), 2));
                    break;
                default: input.SkipLastField(); break;
            }
        }

        return new ReceivedSpan(traceId, spanId, parent, name, kind, attributes, events, service);
    }

    /// <summary>KeyValue: 1 key, 2 value (AnyValue: 1 string, 2 bool, 3 int, 4 double).</summary>
    private static KeyValuePair<string, object> Attribute(byte[] keyValue)
    {
        var key = "";
        object value = "";
        var input = new CodedInputStream(keyValue);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                key = input.ReadString();
                continue;
            }

            if (WireFormat.GetTagFieldNumber(tag) != 2)
            {
                input.SkipLastField();
                continue;
            }

            var any = new CodedInputStream(input.ReadBytes().ToByteArray());
            for (uint anyTag; (anyTag = any.ReadTag()) != 0;)
            {
                value = WireFormat.GetTagFieldNumber(anyTag) switch
                {
                    1 => any.ReadString(),
                    2 => any.ReadBool(),
                    3 => any.ReadInt64(),
                    4 => any.ReadDouble(),
                    _ => Skip(any),
                };
            }
        }

        return new(key, value);
    }

    private static object Skip(CodedInputStream input)
    {
        input.SkipLastField();
        return "";
    }

    private static string StringField(CodedInputStream input, int field)
    {
        var found = "";
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field)
            {
                found = input.ReadString();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    /// <summary>Every length-delimited occurrence of <paramref name="field"/> in a message.</summary>
    private static List<byte[]> Fields(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(1));
        await _app.DisposeAsync();
    }
}
