using System.Globalization;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Reads one counter from an ingress's <c>/metrics</c> listener, for tests that wait on what the ingress counted.</summary>
internal static class MetricsScrape
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <param name="label">When given, only the label sets holding it (<c>outcome="dropped"</c>) are summed.</param>
    /// <returns>The sum of every sample of <paramref name="sample"/> (all label sets), 0 when there is none.</returns>
    public static async Task<double> ValueAsync(Uri metricsAddress, string sample, string? label = null)
    {
        var text = await Client.GetStringAsync(new Uri(metricsAddress, "/metrics"));
        var sum = 0.0;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith(sample, StringComparison.Ordinal) || line.Length == sample.Length || line[sample.Length] is not ('{' or ' '))
            {
                continue;
            }

            var rest = line[sample.Length..];
            if (label is not null && !(rest.StartsWith('{') && rest[..rest.IndexOf('}', StringComparison.Ordinal)].Contains(label, StringComparison.Ordinal)))
            {
                continue;
            }

            if (rest.StartsWith('{'))
            {
                rest = rest[(rest.IndexOf('}', StringComparison.Ordinal) + 1)..];
            }

            sum += double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return sum;
    }
}
