using CsCheck;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

public sealed class WebSocketFrameTrackerTests
{
    /// <summary>A frame with the header layout of RFC 6455 §5.2 for the given payload length.</summary>
    private static byte[] Frame(int payloadLength, bool masked)
    {
        var header = new List<byte> { 0x82 };
        var maskBit = masked ? (byte)0x80 : (byte)0;
        if (payloadLength < 126)
        {
            header.Add((byte)(maskBit | payloadLength));
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            header.AddRange([(byte)(maskBit | 126), (byte)(payloadLength >> 8), (byte)payloadLength]);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            header.AddRange(BitConverter.GetBytes((ulong)payloadLength).Reverse());
        }

        if (masked)
        {
            header.AddRange([1, 2, 3, 4]);
        }

        return [.. header, .. new byte[payloadLength]];
    }

    [Fact]
    public void Frames_of_every_length_encoding_end_where_they_should_however_the_bytes_are_split()
    {
        var lengths = Gen.OneOf(Gen.Int[0, 125], Gen.Int[126, 70_000]);
        Gen.Select(Gen.Select(lengths, Gen.Bool).Array[1, 5], Gen.Int[1, 5000]).Sample((frames, chunk) =>
        {
            var encoded = frames.Select(f => Frame(f.Item1, f.Item2)).ToList();
            var ends = new HashSet<int>();
            var position = 0;
            foreach (var frame in encoded)
            {
                position += frame.Length;
                ends.Add(position);
            }

            var stream = encoded.SelectMany(f => f).ToArray();
            var tracker = new WebSocketFrameTracker();
            var offset = 0;
            while (offset < stream.Length)
            {
                var limit = Math.Min(stream.Length, (offset / chunk * chunk) + chunk);
                offset += tracker.AdvanceToBoundary(stream.AsSpan(offset, limit - offset));
                if (tracker.AtBoundary != ends.Contains(offset))
                {
                    return false;
                }
            }

            return tracker.AtBoundary;
        }, iter: 300);
    }
}
