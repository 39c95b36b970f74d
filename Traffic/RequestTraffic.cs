namespace OpenSandbox.Ingress.Traffic;

/// <summary>
/// The body bytes one request moved (SPEC §10): received from the client and sent to it, for an upgraded connection the
/// bytes each way through the tunnel. Each count has one writer (the request side or the response side), and it is read
/// once the request is over.
/// </summary>
/// <param name="started">When the request began, from <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>.</param>
internal sealed class RequestTraffic(long started)
{
    public long Started => started;

    private long _received;
    private long _sent;

    public long Received => Volatile.Read(ref _received);

    public long Sent => Volatile.Read(ref _sent);

    public void AddReceived(int bytes) => Volatile.Write(ref _received, _received + bytes);

    public void AddSent(int bytes) => Volatile.Write(ref _sent, _sent + bytes);
}
