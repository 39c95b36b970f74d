using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Sends bytes exactly as given (HttpClient refuses malformed requests) and reads the status line back.</summary>
internal static class RawHttp
{
    /// <returns>The status code and the response head, or 0 when the server closed without answering.</returns>
    /// <exception cref="TimeoutException">Nothing came back in time: the server hangs.</exception>
    public static async Task<(int Status, string Head)> SendAsync(int port, byte[] request, TimeSpan deadline)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(deadline);
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server may refuse mid-request; its answer, if any, is still readable.
        }

        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
                var text = Encoding.Latin1.GetString(received.GetBuffer(), 0, (int)received.Length);
                if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no response within " + deadline);
        }
        catch (IOException)
        {
            // Reset after the answer: keep what arrived.
        }

        var head = Encoding.Latin1.GetString(received.GetBuffer(), 0, (int)received.Length);
        var status = head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && head.Length >= 12
            ? int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture)
            : 0;
        return (status, head);
    }
}
