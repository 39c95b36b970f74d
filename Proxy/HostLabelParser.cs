using System.Diagnostics.CodeAnalysis;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Header mode (SPEC §4.1): reads <c>{id}-{port}</c> or <c>{id}-{port}-{expires_b36}-{signature}</c>
/// from the first DNS label of a routing key such as <c>https://my-box-8080.sandboxes.example.com:443</c>.
/// </summary>
internal static class HostLabelParser
{
    public static RouteParseResult Parse(string routingKey, bool fromHostHeader, string pathAndQuery)
    {
        var label = FirstLabel(routingKey);
        if (label.IsEmpty)
        {
            return RouteParseResult.Fail("empty routing key");
        }

        var lastDash = label.LastIndexOf('-');
        if (lastDash <= 0)
        {
            return RouteParseResult.Fail("route must be <sandbox-id>-<port>");
        }

        if (TrySplitSigned(label, out var idEnd, out var portText, out var signature))
        {
            // A signature segment is never a valid port, so a label of this shape has no unsigned reading: a malformed
            // expiry or signature is 400 whether or not the sandbox requires secure access (SPEC §8), as in the Go ingress.
            return signature.IsWellFormed(out _)
                ? Build(label[..idEnd], portText, fromHostHeader, pathAndQuery, signature)
                : RouteParseResult.Fail(RouteSignature.MalformedReason);
        }

        return Build(label[..lastDash], label[(lastDash + 1)..], fromHostHeader, pathAndQuery, signature: null);
    }

    /// <summary>Scheme, then everything from the first '.', ':' or '/' is dropped.</summary>
    private static ReadOnlySpan<char> FirstLabel(string routingKey)
    {
        var key = routingKey.AsSpan().Trim();
        if (key.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            key = key["http://".Length..];
        }
        else if (key.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            key = key["https://".Length..];
        }

        var end = key.IndexOfAny('.', ':', '/');
        return end < 0 ? key : key[..end];
    }

    /// <summary>The last three dash-separated segments have the (loose) shapes of port, expiry and signature.</summary>
    private static bool TrySplitSigned(ReadOnlySpan<char> label, out int idEnd, out ReadOnlySpan<char> port, [NotNullWhen(true)] out RouteSignature? signature)
    {
        idEnd = 0;
        port = default;
        signature = null;

        var sigDash = label.LastIndexOf('-');
        var expDash = sigDash > 0 ? label[..sigDash].LastIndexOf('-') : -1;
        var portDash = expDash > 0 ? label[..expDash].LastIndexOf('-') : -1;
        if (portDash <= 0)
        {
            return false;
        }

        var expires = label[(expDash + 1)..sigDash];
        var sig = label[(sigDash + 1)..];
        port = label[(portDash + 1)..expDash];
        if (!RoutePort.HasDigitShape(port) || !RouteSignature.HasLooseShape(expires, sig))
        {
            return false;
        }

        idEnd = portDash;
        signature = new RouteSignature(expires.ToString(), sig.ToString());
        return true;
    }

    private static RouteParseResult Build(ReadOnlySpan<char> id, ReadOnlySpan<char> portText, bool fromHostHeader, string pathAndQuery, RouteSignature? signature)
    {
        if (id.IsEmpty)
        {
            return RouteParseResult.Fail("empty sandbox id");
        }

        if (!RoutePort.TryParse(portText, out var port))
        {
            return RouteParseResult.Fail("invalid port (expected 1-65535 without leading zero)");
        }

        var sandboxId = fromHostHeader && id.ContainsAnyInRange('A', 'Z') ? id.ToString().ToLowerInvariant() : id.ToString();
        return RouteParseResult.Ok(new SandboxRoute(sandboxId, port, pathAndQuery, Signature: signature));
    }
}
