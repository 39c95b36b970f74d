using System.Globalization;
using System.Net;
using OpenSandbox.Ingress.Hosting;

/// <summary>
/// What the bench's .NET references share: Kestrel on a loopback port with the body limit the ingress sets, one
/// invoker with the ingress's handler settings, and the backend each request goes to (paths under /ws to the WebSocket
/// backend, as the nginx reference does).
/// </summary>
internal static class ReferenceServer
{
    public static WebApplication Build(string portText, Action<IServiceCollection>? services = null)
    {
        // Scheduled as the ingress schedules: socket completions and Kestrel inline unless the environment says otherwise.
        SocketScheduling.PreferInline();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = SocketScheduling.Inline);
        services?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, int.Parse(portText, CultureInfo.InvariantCulture));
        });
        return builder.Build();
    }

    public static HttpMessageInvoker CreateInvoker() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
    });

    /// <returns><c>http://</c> and the backend a request goes to.</returns>
    public static string DestinationOf(HttpContext context, string httpBackend, string wsBackend) =>
        "http://" + (context.Request.Path.StartsWithSegments("/ws") ? wsBackend : httpBackend);
}
