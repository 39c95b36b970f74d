using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>
/// Reads parsed flags for the options records and keeps the first problem as <c>--flag: reason</c>, the one line the
/// binary prints before anything listens. A record reads its own flags and checks them where it declares them.
/// </summary>
/// <param name="environment">Reads an environment variable (the OpenTelemetry ones); tests give their own.</param>
internal sealed class FlagReader(ParseResult result, Func<string, string?>? environment = null)
{
    private const double MaxSeconds = 86_400;

    private readonly Func<string, string?> _environment = environment ?? Environment.GetEnvironmentVariable;

    /// <summary>The first problem found, or null.</summary>
    public string? Error { get; private set; }

    public T? Value<T>(Option<T> option) => result.GetValue(option);

    /// <summary>Records a problem with a flag (only the first one is kept) and returns a placeholder value.</summary>
    public T Fail<T>(Option option, string reason, T placeholder = default!) => FailVariable(option.Name, reason, placeholder);

    public string? Variable(string name) => _environment(name);

    /// <summary>Records a problem with an environment variable, as <c>NAME: reason</c>, and returns a placeholder value.</summary>
    public T FailVariable<T>(string name, string reason, T placeholder)
    {
        Error ??= $"{name}: {reason}";
        return placeholder;
    }

    /// <summary>A duration in seconds, above 0 (or from 0 where 0 means "off") and at most a day.</summary>
    public TimeSpan Seconds(Option<double> option, bool zeroAllowed = false)
    {
        var value = result.GetValue(option);
        return !double.IsFinite(value) || value < 0 || (value == 0 && !zeroAllowed) || value > MaxSeconds
            ? Fail(option, $"{value} is not a number of seconds {(zeroAllowed ? "from 0" : "above 0")} up to 86400", TimeSpan.Zero)
            : TimeSpan.FromSeconds(value);
    }

    /// <summary>A whole number from <paramref name="min"/> up; <paramref name="meaning"/> says what the lowest value means.</summary>
    public int AtLeast(Option<int> option, int min, string meaning)
    {
        var value = result.GetValue(option);
        return value < min ? Fail(option, $"{value} is not {min}{meaning} or more", min) : value;
    }

    /// <summary>An optional port: null, or 1-65535 and none of <paramref name="taken"/>.</summary>
    public int? Port(Option<int?> option, params int?[] taken)
    {
        var value = result.GetValue(option);
        return value is < 1 or > 65535 || (value is not null && taken.Contains(value))
            ? Fail<int?>(option, $"{value} is outside 1-65535 or already used by another listener")
            : value;
    }
}
