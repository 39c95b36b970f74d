using System.Buffers;
using System.Text;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>The bytes a sandbox receives for a request the fast path forwards.</summary>
internal static class ForwardedRequest
{
    /// <summary>SPEC §7 on the wire: target kept, routing and secure-access headers dropped, Host and X-Forwarded-* set.</summary>
    /// <param name="writer">Receives the request; reset first.</param>
    /// <param name="received">The client's bytes the head was parsed from, body included.</param>
    /// <param name="client">The client address for <c>X-Forwarded-For</c>, when known.</param>
    public static void Compose(ArrayBufferWriter<byte> writer, RequestHead request, ReadOnlySpan<byte> received, Destination destination,
        string pathAndQuery, string? forwardedPrefix, string? client)
    {
        writer.ResetWrittenCount();
        Append(writer, request.Method);
        Append(writer, " ");
        Append(writer, pathAndQuery);
        HttpSyntax.Append(writer, " HTTP/1.1\r\n"u8);
        HttpSyntax.Append(writer, destination.HostLine);
        foreach (var header in request.Headers)
        {
            if (header.Kind is HeaderKind.Forwarded or HeaderKind.ContentLength)
            {
                HttpSyntax.Append(writer, request.Line(header));
            }
        }

        var forwardedFor = request.Values(IngressHeaders.ForwardedFor);
        if (client is not null)
        {
            AppendHeader(writer, IngressHeaders.ForwardedFor, forwardedFor.Count == 0 ? client : forwardedFor.ToString() + ", " + client);
        }

        AppendHeader(writer, IngressHeaders.ForwardedProto, "http");
        AppendHeader(writer, IngressHeaders.ForwardedHost, request.Host);
        if (forwardedPrefix is not null)
        {
            AppendHeader(writer, IngressHeaders.ForwardedPrefix, forwardedPrefix);
        }

        HttpSyntax.Append(writer, "\r\n"u8);
        HttpSyntax.Append(writer, received.Slice(request.Length, request.ContentLength));
    }

    private static void AppendHeader(ArrayBufferWriter<byte> writer, string name, string value)
    {
        Append(writer, name);
        Append(writer, ": ");
        Append(writer, value);
        HttpSyntax.Append(writer, "\r\n"u8);
    }

    private static void Append(ArrayBufferWriter<byte> writer, string ascii)
    {
        var written = Encoding.Latin1.GetBytes(ascii, writer.GetSpan(ascii.Length));
        writer.Advance(written);
    }
}
