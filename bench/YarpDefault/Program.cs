// YARP's forwarder with nothing of the ingress around it: what the library we chose costs over the bare forwarder.
//   YarpDefault PORT HTTP_BACKEND WS_BACKEND      e.g. 18086 127.0.0.1:18080 127.0.0.1:18090
// Every request goes to HTTP_BACKEND, paths under /ws to WS_BACKEND (as the other references do), through
// IHttpForwarder.SendAsync with HttpTransformer.Default and the same invoker settings and activity timeout as the
// ingress's; nothing is read, logged or counted.
using System.Net;
using Yarp.ReverseProxy.Forwarder;

if (args is not [var portText, var httpBackend, var wsBackend])
{
    Console.Error.WriteLine("usage: YarpDefault PORT HTTP_BACKEND WS_BACKEND");
    return 2;
}

var app = ReferenceServer.Build(portText, services => services.AddHttpForwarder());
using var invoker = ReferenceServer.CreateInvoker();
var config = new ForwarderRequestConfig
{
    ActivityTimeout = TimeSpan.FromHours(1),
    Version = HttpVersion.Version11,
    VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
};
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
app.Map("/{**path}", async context =>
    await forwarder.SendAsync(context, ReferenceServer.DestinationOf(context, httpBackend, wsBackend), invoker, config, HttpTransformer.Default));
await app.RunAsync();
return 0;
