using System.Collections;

namespace OpenSandbox.Ingress.Logging;

/// <summary>The named values of the writer's "lines dropped" report, shaped like the state of any other log line.</summary>
internal readonly struct DroppedState(long count) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const string Format = "{Count} log lines dropped: stdout did not keep up";

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Count", count),
        1 => new("{OriginalFormat}", Format),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
