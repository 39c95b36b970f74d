// YARP's forwarder with nothing of the ingress around it: what the library we chose costs over the bare forwarder.
//   YarpDefault PORT HTTP_BACKEND WS_BACKEND      e.g. 18086 127.0.0.1:18080 127.0.0.1:18090
// Every request goes to HTTP_BACKEND, paths under /ws to WS_BACKEND (as the other references do), through
// IHttpForwarder.SendAsync with HttpTransformer.Default and the same invoker settings and activity timeout as the
// ingress's; nothing is read, logged or counted.
using System.Globalization;
using System.Net;
using Yarp.ReverseProxy.Forwarder;

if (args is not [var portText, var httpBackend, var wsBackend])
{
    Console.Error.WriteLine("usage: YarpDefault PORT HTTP_BACKEND WS_BACKEND");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Services.AddHttpForwarder();
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
var config = new ForwarderRequestConfig
{
    ActivityTimeout = TimeSpan.FromHours(1),
    Version = HttpVersion.Version11,
    VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
};
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
var http = "http://" + httpBackend;
var ws = "http://" + wsBackend;
app.Map("/{**path}", async context =>
{
    await forwarder.SendAsync(context, context.Request.Path.StartsWithSegments("/ws") ? ws : http, invoker, config, HttpTransformer.Default);
});
await app.RunAsync();
return 0;
