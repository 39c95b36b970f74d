using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Hosting;

SocketScheduling.PreferInline();
return await IngressCommandLine.InvokeAsync(args, IngressRunner.RunAsync);
