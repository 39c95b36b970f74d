// The bare forwarder: what the ingress's shape costs with nothing of the ingress in it.
//   BareForwarder PORT HTTP_BACKEND WS_BACKEND      e.g. 18084 127.0.0.1:18080 127.0.0.1:18090
// Every request goes to HTTP_BACKEND, paths under /ws to WS_BACKEND (as the nginx reference does). Request and response
// headers are copied except the hop-by-hop ones, bodies are streamed, upgrades are tunnelled; no routing header is
// read, nothing is logged, nothing is counted.
using System.Globalization;
using System.Net;

if (args is not [var portText, var httpBackend, var wsBackend])
{
    Console.Error.WriteLine("usage: BareForwarder PORT HTTP_BACKEND WS_BACKEND");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.Listen(IPAddress.Loopback, int.Parse(portText, CultureInfo.InvariantCulture));
});
var app = builder.Build();

using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    ActivityHeadersPropagator = null,
});
var http = "http://" + httpBackend;
var ws = "http://" + wsBackend;
app.Map("/{**path}", context => Forwarder.ForwardAsync(context, invoker, context.Request.Path.StartsWithSegments("/ws") ? ws : http));
await app.RunAsync();
return 0;
