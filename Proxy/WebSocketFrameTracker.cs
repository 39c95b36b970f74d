namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Follows the WebSocket frames (RFC 6455 §5.2) of one direction of a tunnel just far enough to know where one frame
/// ends and the next begins, so a close frame can be inserted without cutting a frame in two. Payloads are not read.
/// </summary>
internal sealed class WebSocketFrameTracker
{
    private const int MaxHeaderLength = 14;

    private readonly byte[] _header = new byte[MaxHeaderLength];
    private int _headerFilled;
    private int _headerNeeded = 2;
    private long _payloadRemaining;

    /// <summary>True between frames.</summary>
    public bool AtBoundary => _headerFilled == 0 && _payloadRemaining == 0;

    /// <summary>Consumes <paramref name="data"/> up to the first frame boundary reached, or all of it.</summary>
    /// <returns>How many bytes were consumed; the tracker is at a boundary afterwards unless all were consumed.</returns>
    public int AdvanceToBoundary(ReadOnlySpan<byte> data)
    {
        var consumed = 0;
        while (consumed < data.Length)
        {
            if (_payloadRemaining > 0)
            {
                var take = (int)Math.Min(_payloadRemaining, data.Length - consumed);
                _payloadRemaining -= take;
                consumed += take;
            }
            else
            {
                _header[_headerFilled++] = data[consumed++];
                if (_headerFilled == 2)
                {
                    var length7 = _header[1] & 0x7F;
                    var masked = (_header[1] & 0x80) != 0;
                    _headerNeeded = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
                }

                if (_headerFilled == _headerNeeded)
                {
                    _payloadRemaining = PayloadLength();
                    _headerFilled = 0;
                    _headerNeeded = 2;
                }
            }

            if (AtBoundary)
            {
                return consumed;
            }
        }

        return consumed;
    }

    private long PayloadLength()
    {
        var length7 = _header[1] & 0x7F;
        return length7 switch
        {
            126 => (_header[2] << 8) | _header[3],
            127 => (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2, 8)) & long.MaxValue,
            _ => length7,
        };
    }
}
