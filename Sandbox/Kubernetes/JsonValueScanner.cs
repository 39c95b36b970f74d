using System.Buffers;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// Finds where one JSON value ends in a stream fed chunk by chunk, without holding any of it: it only tracks nesting
/// and whether it is inside a string. That lets a list item far over the cap be skipped byte by byte, where
/// <see cref="System.Text.Json.Utf8JsonReader"/> would need a whole (possibly huge) string token in memory.
/// Validity is not checked here; the bytes that are kept are parsed properly afterwards.
/// </summary>
internal struct JsonValueScanner
{
    private static readonly SearchValues<byte> Structural = SearchValues.Create("\"{}[]"u8);
    private static readonly SearchValues<byte> InString = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> ScalarEnd = SearchValues.Create(",}] \t\r\n"u8);

    private enum Shape : byte { NotStarted, Container, String, Scalar }

    private Shape _shape;
    private int _depth;
    private bool _inString;
    private bool _escaped;

    /// <summary>Feeds the next bytes of the value (the first call starts at its first byte, not at whitespace).</summary>
    /// <returns>The index just past the value's last byte in <paramref name="data"/>, or -1 when it continues.</returns>
    public int Advance(ReadOnlySpan<byte> data)
    {
        var i = 0;
        if (_shape == Shape.NotStarted && data.Length > 0)
        {
            (_shape, _depth, _inString) = data[0] switch
            {
                (byte)'{' or (byte)'[' => (Shape.Container, 1, false),
                (byte)'"' => (Shape.String, 0, true),
                _ => (Shape.Scalar, 0, false),
            };
            i = _shape == Shape.Scalar ? 0 : 1;
        }

        while (i < data.Length)
        {
            if (_shape == Shape.Scalar)
            {
                var end = data[i..].IndexOfAny(ScalarEnd);
                return end < 0 ? -1 : i + end;
            }

            if (_escaped)
            {
                _escaped = false;
                i++;
                continue;
            }

            if (_inString)
            {
                var next = data[i..].IndexOfAny(InString);
                if (next < 0)
                {
                    return -1;
                }

                i += next;
                if (data[i] == (byte)'\\')
                {
                    _escaped = true;
                }
                else
                {
                    _inString = false;
                    if (_shape == Shape.String)
                    {
                        return i + 1;
                    }
                }

                i++;
                continue;
            }

            var structural = data[i..].IndexOfAny(Structural);
            if (structural < 0)
            {
                return -1;
            }

            i += structural;
            switch (data[i])
            {
                case (byte)'"':
                    _inString = true;
                    break;
                case (byte)'{' or (byte)'[':
                    _depth++;
                    break;
                default:
                    if (--_depth == 0)
                    {
                        return i + 1;
                    }

                    break;
            }

            i++;
        }

        return -1;
    }
}
