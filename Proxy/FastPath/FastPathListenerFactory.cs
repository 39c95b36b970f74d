using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>Registered with Kestrel's transports; binds only the main port, the other ports keep Kestrel's own.</summary>
/// <param name="sockets">Kestrel's socket transport options, so connections handed to Kestrel get the same settings as its own.</param>
internal sealed class FastPathListenerFactory(FastPathProxy proxy, SocketTransportOptions sockets, ILoggerFactory loggers) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is FastPathEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(FastPathListener.Bind((FastPathEndPoint)endpoint, proxy, sockets, loggers));
}
