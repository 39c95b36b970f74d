using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Hosting;

// Socket completions run their continuation on the thread that polled them, not on a thread-pool thread: the request
// path never blocks, and the hop costs CPU on every read (README, Performance). Read once, when the first socket is
// created, so it is set before anything else; an operator's own setting (0) wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

return await IngressCommandLine.InvokeAsync(args, IngressRunner.RunAsync).ConfigureAwait(false);
