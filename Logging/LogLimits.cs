namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// The fixed sizes logging keeps to (SPEC §10, README "Logging"): what may wait in memory for stdout, and how long a
/// field whose text a client or a remote peer controls may be in a line.
/// </summary>
internal static class LogLimits
{
    /// <summary>Bytes of log lines that may wait for stdout; a line that does not fit is dropped and counted.</summary>
    public const long BudgetBytes = 4L * 1024 * 1024;

    /// <summary>Characters of a request path kept in an access line (a request line may be 64 KiB).</summary>
    public const int MaxPathChars = 2048;

    /// <summary>Characters of a request method kept in an access line (a client may send any token as its method).</summary>
    public const int MaxMethodChars = 64;

    /// <summary>Characters kept of any other text in a line: the message, each value of its state, an exception.</summary>
    public const int MaxValueChars = 8192;

    /// <summary>Ends a value that was cut.</summary>
    public const string TruncationMarker = "…(truncated)";

    /// <summary>Longest prefix of <paramref name="text"/> of at most <paramref name="max"/> characters that does not split a surrogate pair.</summary>
    public static ReadOnlySpan<char> Cut(ReadOnlySpan<char> text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        return char.IsHighSurrogate(text[max - 1]) ? text[..(max - 1)] : text[..max];
    }
}
