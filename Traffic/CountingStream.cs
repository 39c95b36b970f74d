using System.Runtime.CompilerServices;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Traffic;

/// <summary>
/// A client-facing stream that counts what is read from it as received and what is written to it as sent: the request
/// body, the response body, or both directions of an upgraded connection.
/// </summary>
internal sealed class CountingStream(Stream inner, RequestTraffic traffic) : DelegatingStream(inner)
{
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A tunnel reads once per message: a read that completes at once is counted without an async frame, one that
        // waits reuses a pooled one.
        var reading = Inner.ReadAsync(buffer, cancellationToken);
        if (reading.IsCompletedSuccessfully)
        {
            var read = reading.Result;
            traffic.AddReceived(read);
            return ValueTask.FromResult(read);
        }

        return CountWhenReadAsync(reading);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> CountWhenReadAsync(ValueTask<int> reading)
    {
        var read = await reading;
        traffic.AddReceived(read);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = Inner.Read(buffer, offset, count);
        traffic.AddReceived(read);
        return read;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        traffic.AddSent(buffer.Length);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        traffic.AddSent(count);
        Inner.Write(buffer, offset, count);
    }
}
