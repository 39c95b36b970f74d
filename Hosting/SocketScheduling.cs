namespace OpenSandbox.Ingress.Hosting;

/// <summary>
/// Where the code after a socket read or write runs. By default here on the socket-engine thread that saw the event, and
/// Kestrel runs the request there as well, so a proxied request stays on one thread instead of being handed to the thread
/// pool at every read (README, Performance: about 2 context switches per request at one connection instead of 10–20,
/// and a third of the CPU). The price is that nothing on that path may block or run long, which the request path
/// honours; the one long piece of work that follows a socket read, a Kubernetes relist, moves to the pool itself.
/// </summary>
/// <remarks>
/// The runtime reads this setting from the environment only, once, when the first socket is registered; no runtimeconfig
/// switch exists for it. So the binary sets the variable for itself before anything opens a socket, and an operator's
/// own value wins: <c>0</c> turns socket and Kestrel inline scheduling off together.
/// </remarks>
internal static class SocketScheduling
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Called first in <c>Main</c>: turns inline completions on unless the environment already decides.</summary>
    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    /// <summary>Whether socket completions run inline, which Kestrel's scheduling follows.</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(Variable) == "1";
}
