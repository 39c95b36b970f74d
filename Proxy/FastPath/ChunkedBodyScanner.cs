namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// Follows the chunked framing of a response body passing through, to find where it ends without changing a byte:
/// chunk sizes (with extensions), data, the last chunk and the trailer section. Framing errors stop the scan, and the
/// connection is then cut rather than passing on a body whose end is unknown.
/// </summary>
internal struct ChunkedBodyScanner
{
    private const long MaxChunkSize = long.MaxValue >> 8;

    private State _state;
    private long _remaining;
    private bool _sawDigit;

    private enum State
    {
        Size,
        Extension,
        SizeLineFeed,
        Data,
        DataCarriageReturn,
        DataLineFeed,
        TrailerLineStart,
        TrailerLine,
        TrailerLineFeed,
        FinalLineFeed,
        Done,
        Invalid,
    }

    public readonly bool IsDone => _state == State.Done;

    public readonly bool IsInvalid => _state == State.Invalid;

    /// <summary>Scans the next bytes of the body.</summary>
    /// <returns>How many of them belong to the body: all of them, unless the body ended (or broke) inside.</returns>
    public int Scan(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length && _state is not (State.Done or State.Invalid))
        {
            if (_state == State.Data)
            {
                var take = (int)Math.Min(_remaining, bytes.Length - i);
                i += take;
                _remaining -= take;
                if (_remaining == 0)
                {
                    _state = State.DataCarriageReturn;
                }

                continue;
            }

            _state = Step(bytes[i]);
            i++;
        }

        return i;
    }

    private State Step(byte b)
    {
        switch (_state)
        {
            case State.Size:
                if (HexValue(b) is var digit and >= 0)
                {
                    if (_remaining > MaxChunkSize)
                    {
                        return State.Invalid;
                    }

                    _remaining = (_remaining << 4) | (uint)digit;
                    _sawDigit = true;
                    return State.Size;
                }

                return !_sawDigit ? State.Invalid
                    : b == ';' || b == ' ' || b == '\t' ? State.Extension
                    : b == '\r' ? State.SizeLineFeed
                    : State.Invalid;
            case State.Extension:
                return b == '\r' ? State.SizeLineFeed : b == '\n' ? State.Invalid : State.Extension;
            case State.SizeLineFeed:
                if (b != '\n')
                {
                    return State.Invalid;
                }

                _sawDigit = false;
                return _remaining == 0 ? State.TrailerLineStart : State.Data;
            case State.DataCarriageReturn:
                return b == '\r' ? State.DataLineFeed : State.Invalid;
            case State.DataLineFeed:
                return b == '\n' ? State.Size : State.Invalid;
            case State.TrailerLineStart:
                return b == '\r' ? State.FinalLineFeed : b == '\n' ? State.Invalid : State.TrailerLine;
            case State.TrailerLine:
                return b == '\r' ? State.TrailerLineFeed : b == '\n' ? State.Invalid : State.TrailerLine;
            case State.TrailerLineFeed:
                return b == '\n' ? State.TrailerLineStart : State.Invalid;
            case State.FinalLineFeed:
                return b == '\n' ? State.Done : State.Invalid;
            default:
                return State.Invalid;
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
