namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Builds request URIs that HttpClient sends exactly as written (no dot-segment or slash normalisation).</summary>
internal static class VerbatimUri
{
    private static readonly UriCreationOptions Verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public static Uri Create(Uri baseAddress, string pathAndQuery) =>
        new($"{baseAddress.Scheme}://{baseAddress.Authority}{pathAndQuery}", in Verbatim);
}
