// The bare forwarder: what the ingress's shape costs with nothing of the ingress in it.
//   BareForwarder PORT HTTP_BACKEND WS_BACKEND      e.g. 18084 127.0.0.1:18080 127.0.0.1:18090
// Every request goes to HTTP_BACKEND, paths under /ws to WS_BACKEND (as the nginx reference does). Request and response
// headers are copied except the hop-by-hop ones, bodies are streamed, upgrades are tunnelled; no routing header is
// read, nothing is logged, nothing is counted.

if (args is not [var portText, var httpBackend, var wsBackend])
{
    Console.Error.WriteLine("usage: BareForwarder PORT HTTP_BACKEND WS_BACKEND");
    return 2;
}

var app = ReferenceServer.Build(portText);
using var invoker = ReferenceServer.CreateInvoker();
app.Map("/{**path}", context => Forwarder.ForwardAsync(context, invoker, ReferenceServer.DestinationOf(context, httpBackend, wsBackend)));
await app.RunAsync();
return 0;
