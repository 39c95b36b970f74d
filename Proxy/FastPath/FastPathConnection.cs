using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using OpenSandbox.Ingress.Proxy.FastPath.Loop;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// One client connection on the fast path, on its own socket: request after request until it closes, or until a request
/// the fast path does not serve hands the connection, bytes already received included, over to Kestrel.
/// </summary>
internal sealed class FastPathConnection
{
    /// <summary>
    /// Enough for the head (and any small body) of the requests this path serves; a request that does not fit takes
    /// Kestrel's path, which streams it.
    /// </summary>
    private const int InputSize = 4 * 1024;
    private const int MaxResponseHead = 64 * 1024;

    private readonly LoopSocket _socket;
    private readonly FastPathProxy _proxy;
    private readonly FastPathListener _listener;
    private readonly ClientOutput _output;
    private readonly RequestHead _request = new();
    private readonly ResponseHead _response = new();
    private readonly Func<string, StringValues> _requestHeader;
    private readonly Func<ValueTask<bool>> _flush;
    private readonly IPAddress? _clientAddress;
    private readonly string? _clientText;
    /// <summary>The request as the sandbox gets it; grows to the largest request seen on this connection.</summary>
    private readonly ArrayBufferWriter<byte> _outgoing = new();

    /// <summary>Received bytes not yet served: <c>[_start, _end)</c>.</summary>
    private byte[] _input = [];
    private int _start;
    private int _end;

    private long _deadline = long.MaxValue;
    // Read and written on the loop's thread only (requests from other threads are posted to it).
    private Phase _phase;
    private bool _closeRequested;
    private bool _timedOut;
    private bool _finished;
    private UpstreamConnection? _upstream;

    public FastPathConnection(LoopSocket socket, FastPathProxy proxy, FastPathListener listener)
    {
        _socket = socket;
        _proxy = proxy;
        _listener = listener;
        _output = new ClientOutput(socket);
        _requestHeader = _request.Values;
        _flush = FlushAsync;
        if (socket.RemoteAddress is { } remote)
        {
            _clientAddress = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
            _clientText = _clientAddress.ToString();
        }
    }

    private enum Phase
    {
        /// <summary>Between requests: the client idle timeout closes the connection, and so does a shutdown.</summary>
        Idle,

        /// <summary>A request has arrived and is being decided: a shutdown lets it finish.</summary>
        Deciding,

        /// <summary>Waiting for the sandbox's response head: a timeout answers 504.</summary>
        AwaitingResponse,

        /// <summary>Moving the response: a timeout (sandbox silent, or client not reading) cuts both connections.</summary>
        Transfer,
    }

    /// <summary>How a connection leaves the fast path.</summary>
    private enum Next
    {
        Close,
        Kestrel,
    }

    /// <summary><see cref="Environment.TickCount64"/> milliseconds; <see cref="long.MaxValue"/> for none.</summary>
    public long Deadline => Volatile.Read(ref _deadline);

    public async Task RunAsync()
    {
        var connections = _proxy.Connections;
        connections.Add(this);
        var next = Next.Close;
        _input = ArrayPool<byte>.Shared.Rent(InputSize);
        try
        {
            next = await ServeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client or the sandbox went away mid-response, or a timeout or shutdown closed the connection.
            next = Next.Close;
        }
        catch (Exception e)
        {
            // A bug: this connection closes, the others go on (Kestrel does the same for its connections).
            _proxy.LogConnectionFailed(e);
            next = Next.Close;
        }
        finally
        {
            _finished = true;
            connections.Remove(this);
            _upstream?.Dispose();
            _output.Release();
        }

        if (next == Next.Kestrel)
        {
            if (_socket.Detach() is { } socket && !_listener.TryHandOver(socket, _input.AsSpan(_start, _end - _start)))
            {
                socket.Dispose();
            }
        }
        else
        {
            _socket.Dispose();
        }

        ArrayPool<byte>.Shared.Return(_input);
    }

    /// <summary>The loop whose thread runs everything about this connection.</summary>
    public EventLoop Loop => _socket.Loop;

    /// <summary>
    /// The timeout of the phase the connection was in has passed (seen by <see cref="OpenConnections"/>). Any thread:
    /// acts on the connection's loop, unless the deadline has moved on meanwhile.
    /// </summary>
    public void OnDeadlinePassed() => Loop.Post(static c => ((FastPathConnection)c!).ActOnDeadline(), this);

    /// <summary>Shutdown: an idle connection closes now, a busy one after its response. Any thread.</summary>
    public void RequestClose() => Loop.Post(static c => ((FastPathConnection)c!).CloseWhenIdle(), this);

    /// <summary>Cuts the client and the sandbox connection: whatever was in flight is lost. Any thread.</summary>
    public void Abort() => Loop.Post(static c => ((FastPathConnection)c!).Cut(), this);

    private void ActOnDeadline()
    {
        if (_finished || Deadline > Environment.TickCount64)
        {
            return;
        }

        switch (_phase)
        {
            case Phase.Idle:
                ShutDownClient();
                break;
            case Phase.AwaitingResponse:
                _timedOut = true;
                _upstream?.Dispose();
                break;
            default:
                Cut();
                break;
        }
    }

    private void CloseWhenIdle()
    {
        _closeRequested = true;
        if (_phase == Phase.Idle && !_finished)
        {
            ShutDownClient();
        }
    }

    private void Cut()
    {
        if (_finished)
        {
            return;
        }

        _upstream?.Dispose();
        _socket.Dispose();
    }

    /// <summary>Ends the client connection with a FIN; the pending receive then sees it end and the connection closes.</summary>
    private void ShutDownClient() => _socket.Shutdown();

    private void Arm(Phase phase, TimeSpan timeout)
    {
        _phase = phase;
        Volatile.Write(ref _deadline, Environment.TickCount64 + (long)timeout.TotalMilliseconds);
    }

    /// <summary>
    /// Every request on the connection, in one async method whose state lives as long as the connection: an await in a
    /// helper allocates the helper's state each time it waits, so the waits of a common request (the request, the
    /// sandbox's response head, sending the response) are written here, and helpers wait only on rarer paths
    /// (connecting, interim responses, bodies that take more than one read).
    /// </summary>
    private async Task<Next> ServeAsync()
    {
        while (true)
        {
            Arm(Phase.Idle, _proxy.Options.ClientIdleTimeout);
            if (_closeRequested)
            {
                return Next.Close;
            }

            if (_start == _end)
            {
                // Nothing pipelined: wait for the next request, holding no output buffer meanwhile.
                _output.Release();
                _start = _end = 0;
                var count = await _socket.ReceiveAsync(_input.AsMemory()).ConfigureAwait(false);
                if (count == 0)
                {
                    return Next.Close;
                }

                _end = count;
            }

            // A request that has arrived is answered, with Connection: close if a shutdown began meanwhile.
            _phase = Phase.Deciding;
            var started = Stopwatch.GetTimestamp();
            if (!TryPlan(_input.AsMemory(_start, _end - _start), out var decision, out var destination))
            {
                // Nothing consumed: Kestrel reads the same bytes.
                return Next.Kestrel;
            }

            _start += _request.Length + _request.ContentLength;
            if (destination is null)
            {
                WriteAnswer(decision.Status, decision.Reason!);
                await _output.SendAsync().ConfigureAwait(false);
                Completed(null, decision.Status, started);
                if (ClosesAfterResponse)
                {
                    return Next.Close;
                }

                continue;
            }

            // The sandbox's response head. A pooled connection the sandbox closed while idle fails before the first
            // response byte: that request goes once more on a new connection, as SocketsHttpHandler does.
            var sandboxId = decision.Route!.SandboxId;
            var received = 0;
            string? failure = null;
            _timedOut = false;
            for (var attempt = 0; failure is null; attempt++)
            {
                var upstream = _proxy.Pool.TryRent(destination, Loop);
                if (upstream is null)
                {
                    (upstream, failure) = await ConnectAsync(destination).ConfigureAwait(false);
                    if (upstream is null)
                    {
                        break;
                    }
                }

                _upstream = upstream;
                Arm(Phase.AwaitingResponse, _proxy.Options.UpstreamResponseTimeout ?? _proxy.Options.UpstreamIdleTimeout);
                received = 0;
                // Retried only if nothing came back on a reused connection, once, and not after the timeout.
                var mayRetry = upstream.WasReused && attempt == 0;
                var retry = false;
                try
                {
                    await upstream.Socket.SendAsync(_outgoing.WrittenMemory).ConfigureAwait(false);
                    while (true)
                    {
                        var outcome = received == 0 ? ResponseHead.Outcome.Incomplete : _response.TryParse(upstream.Buffer, received, _request.IsHead);
                        if (outcome == ResponseHead.Outcome.Invalid)
                        {
                            failure = "malformed response head";
                            break;
                        }

                        if (outcome == ResponseHead.Outcome.Complete && !_response.IsInterim)
                        {
                            break;
                        }

                        if (outcome == ResponseHead.Outcome.Complete)
                        {
                            received = await PassInterimAsync(upstream, received).ConfigureAwait(false);
                            continue;
                        }

                        if (received == upstream.Buffer.Length)
                        {
                            if (received >= MaxResponseHead)
                            {
                                failure = $"response head larger than {MaxResponseHead / 1024} KiB";
                                break;
                            }

                            upstream.GrowBuffer(received);
                        }

                        var count = await upstream.Socket.ReceiveAsync(upstream.Buffer.AsMemory(received)).ConfigureAwait(false);
                        if (count == 0)
                        {
                            retry = mayRetry && received == 0;
                            failure = retry ? null : "connection closed before a complete response head";
                            break;
                        }

                        received += count;
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // The response-headers timeout closes the sandbox connection under a pending read: never retried.
                    retry = mayRetry && received == 0 && !_timedOut;
                    failure = retry ? null : _timedOut ? "no response head in time" : e.Message;
                }

                if (!retry)
                {
                    break;
                }

                upstream.Dispose();
                _upstream = null;
            }

            if (failure is not null)
            {
                var failed = FailedExchange();
                _proxy.LogForwardingFailed(sandboxId, failure);
                WriteAnswer(failed, failed == StatusCodes.Status504GatewayTimeout
                    ? $"sandbox {sandboxId} did not answer in time"
                    : $"sandbox {sandboxId} is unreachable");
                await _output.SendAsync().ConfigureAwait(false);
                Completed(destination, failed, started);
                if (ClosesAfterResponse)
                {
                    return Next.Close;
                }

                continue;
            }

            // The response: head, then the body as the sandbox sends it.
            var status = _response.StatusCode;
            Arm(Phase.Transfer, _proxy.Options.UpstreamIdleTimeout);
            var sandbox = _upstream!;
            var closeAfter = ClosesAfterResponse;
            _response.WriteForClient(_output, closeAfter);
            bool complete, reusable;
            try
            {
                (complete, reusable) = await ResponseBody.CopyAsync(_response, sandbox, received, _output, _flush).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The sandbox reset the connection mid-body, or a transfer timeout closed it.
                (complete, reusable) = (false, false);
            }

            _upstream = null;
            if (complete && reusable)
            {
                _proxy.Pool.Return(destination, sandbox);
            }
            else
            {
                sandbox.Dispose();
            }

            Completed(destination, status, started);
            if (!complete)
            {
                _proxy.LogClientGone(sandboxId);
                return Next.Close;
            }

            if (closeAfter)
            {
                return Next.Close;
            }
        }
    }

    /// <summary>
    /// Everything decided from memory, and for a forward (<paramref name="destination"/> set) the bytes for the sandbox
    /// composed; false hands the connection over to Kestrel.
    /// </summary>
    private bool TryPlan(ReadOnlyMemory<byte> received, out RouteDecision decision, out Destination? destination)
    {
        decision = default;
        destination = null;
        if (!_request.TryParse(received) || _request.Length + _request.ContentLength > received.Length
            || _request.Path == IngressRequestHandler.StatusPath)
        {
            return false;
        }

        decision = _proxy.Router.Decide(_request.Target, _requestHeader);
        if (decision.IsForward)
        {
            destination = _proxy.Pool.For(decision.Destination!);
            ForwardedRequest.Compose(_outgoing, _request, received.Span, destination, decision.PathAndQuery!, decision.ForwardedPrefix, _clientText);
        }

        return true;
    }

    /// <summary>The client asked to close, or the ingress is stopping: this response is the connection's last.</summary>
    private bool ClosesAfterResponse => _request.WantsClose || _closeRequested;

    private void Completed(Destination? destination, int status, long started) =>
        _proxy.RequestLog.Completed(_request.Method, _request.Path, destination?.Name, status, Stopwatch.GetElapsedTime(started), _clientAddress,
            fastPath: true);

    /// <returns>A new sandbox connection on this connection's loop, or why there is none.</returns>
    private async ValueTask<(UpstreamConnection? Connection, string? Failure)> ConnectAsync(Destination destination)
    {
        try
        {
            return (await _proxy.Pool.ConnectAsync(destination, Loop, CancellationToken.None).ConfigureAwait(false), null);
        }
        catch (SocketException e)
        {
            _proxy.Metrics.UpstreamConnectFailed();
            return (null, e.Message);
        }
        catch (TimeoutException e)
        {
            _timedOut = true;
            return (null, e.Message);
        }
    }

    /// <summary>103 Early Hints and the like go to the client at once; the final head follows, maybe already received.</summary>
    /// <returns>The bytes of <see cref="UpstreamConnection.Buffer"/> left after the interim head.</returns>
    private async ValueTask<int> PassInterimAsync(UpstreamConnection upstream, int received)
    {
        _response.WriteForClient(_output, closeClient: false);
        await _output.SendAsync().ConfigureAwait(false);
        received -= _response.Length;
        upstream.Buffer.AsSpan(_response.Length, received).CopyTo(upstream.Buffer);
        return received;
    }

    /// <summary>The exchange with the sandbox failed: its connection goes, and the status says whether time ran out.</summary>
    private int FailedExchange()
    {
        _upstream?.Dispose();
        _upstream = null;
        return _timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
    }

    /// <returns>False when the client has gone.</returns>
    private async ValueTask<bool> FlushAsync()
    {
        var minRate = _proxy.Options.MinClientDataRate;
        Arm(Phase.Transfer, minRate > 0
            ? MinRateGrace + TimeSpan.FromSeconds((double)_output.Pending / minRate)
            : _proxy.Options.UpstreamIdleTimeout);
        try
        {
            await _output.SendAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }

        Arm(Phase.Transfer, _proxy.Options.UpstreamIdleTimeout);
        return true;
    }

    /// <summary>Kestrel's grace period before a minimum data rate applies.</summary>
    private static readonly TimeSpan MinRateGrace = TimeSpan.FromSeconds(5);

    /// <summary>The ingress's own answer (SPEC §5), the same line the full handler writes, for the next send.</summary>
    private void WriteAnswer(int status, string reason)
    {
        var body = ErrorResponse.Body(reason);
        var connection = ClosesAfterResponse ? "Connection: close\r\n" : "";
        var head = string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {ReasonPhrases.GetReasonPhrase(status)}\r\n"
            + $"Content-Type: {ErrorResponse.ContentType}\r\nContent-Length: {body.Length}\r\n{connection}\r\n");
        HttpSyntax.Append(_output, Encoding.ASCII.GetBytes(head));
        if (!_request.IsHead)
        {
            HttpSyntax.Append(_output, body);
        }
    }
}
