using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Hosting;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// The real ingress (the same <see cref="IngressHost"/> the binary runs) on 127.0.0.1 ephemeral ports, fed by the
/// file provider from a temporary directory that tests write manifests into.
/// </summary>
internal sealed class InProcessIngress : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessIngress(WebApplication app, string sandboxesDirectory)
    {
        _app = app;
        SandboxesDirectory = sandboxesDirectory;
    }

    public string SandboxesDirectory { get; }

    /// <summary>The ingress's own services, for tests that drive it from inside (start a drain, say).</summary>
    public IServiceProvider Services => _app.Services;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The metrics listener, when the options ask for one.</summary>
    public Uri? MetricsAddress { get; private set; }

    /// <summary>The TLS listener, when the options ask for one.</summary>
    public Uri? TlsAddress { get; private set; }

    /// <summary>The HTTP/2 cleartext (prior knowledge) listener.</summary>
    public Uri H2cAddress { get; private set; } = null!;

    public static async Task<InProcessIngress> StartAsync(RoutingMode mode = RoutingMode.Header,
        Func<IngressOptions, IngressOptions>? configure = null, IReadOnlyDictionary<string, string>? manifests = null,
        Action<IServiceCollection>? overrideServices = null)
    {
        var directory = Directory.CreateTempSubdirectory("osb-ingress-").FullName;
        foreach (var (file, text) in manifests ?? new Dictionary<string, string>())
        {
            await File.WriteAllTextAsync(Path.Combine(directory, file), text);
        }

        var options = new IngressOptions
        {
            Source = new SandboxSourceOptions { Provider = ProviderType.File, SandboxesDirectory = directory },
            Routing = new RoutingOptions { Mode = mode },
            Listen = new ListenOptions { Port = 0, H2cPort = 0, Address = "127.0.0.1" },
            Logging = new LoggingOptions { Level = LogLevel.Warning },
            Upstream = new UpstreamOptions { ConnectTimeout = TimeSpan.FromSeconds(2) },
        };
        options = configure is null ? options : configure(options);
        var app = IngressHost.Build(options, overrideServices);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.ToList();
        return new InProcessIngress(app, directory)
        {
            BaseAddress = new Uri(addresses[0]),
            H2cAddress = new Uri(addresses[1]),
            MetricsAddress = options.Listen.MetricsPort is { } metricsPort ? new Uri($"http://127.0.0.1:{metricsPort}") : null,
            TlsAddress = options.Listen.TlsPort is { } tlsPort ? new Uri($"https://127.0.0.1:{tlsPort}") : null,
        };
    }

    public async Task WriteManifestAsync(string file, string yaml)
    {
        // Write then rename, as editors and ConfigMap updates do, so the watcher never reads half a file.
        var path = Path.Combine(SandboxesDirectory, file);
        var temporary = Path.Combine(SandboxesDirectory, "." + file + ".tmp");
        await File.WriteAllTextAsync(temporary, yaml);
        File.Move(temporary, path, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(SandboxesDirectory, recursive: true);
    }
}
