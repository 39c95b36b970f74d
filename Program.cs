using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Hosting;

return await IngressCommandLine.InvokeAsync(args, IngressRunner.RunAsync);
