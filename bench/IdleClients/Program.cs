// Idle keep-alive clients for `make bench` (wrk keeps its connections busy; this keeps them open and quiet):
//   IdleClients PORT CONNECTIONS HEADER:VALUE
// Opens CONNECTIONS connections to 127.0.0.1:PORT, 100 at a time, sends one GET /small with the header on each and reads
// its response, so each is a keep-alive client connection that has been served. Prints "open N" once all of them are
// idle, then holds them until stdin closes and prints "still open N": a connection the server closed meanwhile is not
// counted.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

if (args is not [var portText, var countText, var header])
{
    Console.Error.WriteLine("usage: IdleClients PORT CONNECTIONS HEADER:VALUE");
    return 2;
}

var port = int.Parse(portText, CultureInfo.InvariantCulture);
var count = int.Parse(countText, CultureInfo.InvariantCulture);
var request = Encoding.ASCII.GetBytes($"GET /small HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{header}\r\n\r\n");
var sockets = new Socket[count];
using var gate = new SemaphoreSlim(100);
await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
{
    await gate.WaitAsync();
    try
    {
        sockets[i] = await OpenServedAsync(port, request);
    }
    finally
    {
        gate.Release();
    }
}));
Console.WriteLine($"open {count}");

// Held until the bench is done measuring; then each connection is asked whether the server closed it meanwhile.
await Console.In.ReadToEndAsync();
var open = sockets.Count(socket => !(socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0));
Console.WriteLine($"still open {open}");
return open == count ? 0 : 1;

static async Task<Socket> OpenServedAsync(int port, byte[] request)
{
    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(IPAddress.Loopback, port);
    await socket.SendAsync(request);
    // The response head, then as many body bytes as its Content-Length says.
    var buffer = new byte[4096];
    var received = 0;
    while (true)
    {
        var read = await socket.ReceiveAsync(buffer.AsMemory(received));
        if (read == 0)
        {
            throw new IOException("the server closed a connection before its response was complete");
        }

        received += read;
        var text = Encoding.ASCII.GetString(buffer, 0, received);
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            continue;
        }

        if (!text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
        {
            throw new IOException("not a 200: " + text[..text.IndexOf('\r')]);
        }

        var lengthAt = text.IndexOf("Content-Length: ", StringComparison.OrdinalIgnoreCase);
        var length = int.Parse(text.AsSpan(lengthAt + 16, text.IndexOf('\r', lengthAt) - lengthAt - 16), CultureInfo.InvariantCulture);
        if (received >= headEnd + 4 + length)
        {
            return socket;
        }
    }
}
