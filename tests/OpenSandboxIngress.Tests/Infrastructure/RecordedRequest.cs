namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>What a test backend saw of one request.</summary>
internal sealed record RecordedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, string Protocol)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
