using System.Text;
using CsCheck;
using OpenSandbox.Ingress.Proxy.FastPath;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.FastPath;

/// <summary>The end of a chunked body passing through must be found exactly, however the bytes are split.</summary>
public sealed class ChunkedBodyScannerTests
{
    private static readonly Gen<string> Bodies = Gen.Select(
        Gen.Int[0, 300].List[0, 6],
        Gen.OneOf(Gen.Const(""), Gen.Const(";name=value"), Gen.Const(" ;x")),
        Gen.OneOf(Gen.Const(""), Gen.Const("X-Trailer: 1\r\n"), Gen.Const("A: 1\r\nB: 2\r\n")),
        Gen.Bool).Select((sizes, extension, trailer, upper) =>
    {
        var body = new StringBuilder();
        foreach (var size in sizes.Where(size => size > 0))
        {
            body.Append(upper ? size.ToString("X") : size.ToString("x")).Append(extension).Append("\r\n").Append('d', size).Append("\r\n");
        }

        return body.Append('0').Append(extension).Append("\r\n").Append(trailer).Append("\r\n").ToString();
    });

    [Fact]
    public void The_end_is_found_exactly_whatever_the_split() =>
        Gen.Select(Bodies, Gen.Int[1, 64], Gen.String[0, 20]).Sample((body, pieceSize, afterwards) =>
        {
            var bytes = Encoding.ASCII.GetBytes(body + afterwards);
            var scanner = default(ChunkedBodyScanner);
            var consumed = 0;
            for (var at = 0; at < bytes.Length && !scanner.IsDone; at += pieceSize)
            {
                var piece = bytes.AsSpan(at, Math.Min(pieceSize, bytes.Length - at));
                var used = scanner.Scan(piece);
                Assert.True(used == piece.Length || scanner.IsDone);
                consumed += used;
            }

            return scanner.IsDone && !scanner.IsInvalid && consumed == body.Length;
        }, iter: 10_000);

    [Fact]
    public void An_unfinished_body_is_neither_done_nor_invalid()
    {
        var scanner = default(ChunkedBodyScanner);

        Assert.Equal(7, scanner.Scan("5\r\nabcd"u8));
        Assert.False(scanner.IsDone);
        Assert.False(scanner.IsInvalid);
    }

    [Theory]
    [InlineData("z\r\n")]
    [InlineData("\r\n")]
    [InlineData("5\r\nabcdeX\r\n")]
    [InlineData("5\nabcde\r\n")]
    [InlineData("0\r\nTrailer\n\r\n")]
    [InlineData("fffffffffffffffffff\r\n")]
    public void Broken_framing_is_invalid(string body)
    {
        var scanner = default(ChunkedBodyScanner);
        scanner.Scan(Encoding.ASCII.GetBytes(body));

        Assert.True(scanner.IsInvalid);
    }
}
