using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// The ingress as its own process (the apphost built next to the tests), for what only a separate process
/// shows: exit codes, its own memory, signals.
/// </summary>
internal sealed class IngressProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private Task? _stdoutPump;

    private IngressProcess(Process process) => _process = process;

    /// <summary>
    /// The JIT apphost built next to the tests, or the binary named by <c>INGRESS_BINARY</c> (CI points it at the
    /// Native AOT build, so the shipped artifact is what these tests run).
    /// </summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("INGRESS_BINARY") is { Length: > 0 } binary
            ? Path.GetFullPath(binary)
            : Path.Combine(AppContext.BaseDirectory, "opensandbox-ingress");

    public int Port { get; private init; }

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Runs the binary to completion (for --help, --version and bad input).</summary>
    public static Task<(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)> RunToExitAsync(params string[] args) =>
        RunToExitAsync(IngressLaunch.Default, args);

    /// <summary>Runs the binary to completion as <paramref name="launch"/> says (another binary, an emulator in front).</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)> RunToExitAsync(IngressLaunch launch, params string[] args)
    {
        using var process = Process.Start(StartInfo(args, launch))!;
        var clock = Stopwatch.StartNew();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }

    /// <summary>Starts the ingress on a free loopback port and waits until <c>/status.ok</c> answers 200.</summary>
    public static Task<IngressProcess> StartAsync(params string[] args) => StartAsync(waitForReady: true, args);

    public static Task<IngressProcess> StartAsync(bool waitForReady, params string[] args) => StartAsync(waitForReady, workingDirectory: null, args);

    /// <summary>Started from <paramref name="workingDirectory"/> instead of the test's own.</summary>
    public static Task<IngressProcess> StartInDirectoryAsync(string workingDirectory, params string[] args) =>
        StartAsync(waitForReady: true, workingDirectory, args);

    /// <summary>
    /// Starts the ingress with nobody reading its stdout (stderr is read), as when a log collector stalls: once the pipe
    /// is full, every write to stdout blocks. <see cref="ReadStdout"/> starts reading it.
    /// </summary>
    public static Task<IngressProcess> StartWithStdoutStalledAsync(params string[] args) =>
        StartAsync(waitForReady: true, workingDirectory: null, args, readStdout: false);

    /// <summary>Starts the ingress on a free loopback port as <paramref name="launch"/> says, waiting for 200 only if it asks to.</summary>
    public static Task<IngressProcess> StartAsync(IngressLaunch launch, params string[] args) =>
        StartAsync(launch.WaitForReady, workingDirectory: null, args, launch: launch);

    private static async Task<IngressProcess> StartAsync(bool waitForReady, string? workingDirectory, string[] args, bool readStdout = true,
        IngressLaunch? launch = null)
    {
        var port = FreePort.Next();
        var info = StartInfo([.. args, "--listen-address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], launch);
        info.WorkingDirectory = workingDirectory ?? "";
        var ingress = Launch(info, port, readStdout);
        if (waitForReady)
        {
            await ingress.WaitForStatusAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(20));
        }

        return ingress;
    }

    private static IngressProcess Launch(ProcessStartInfo info, int port, bool readStdout = true)
    {
        var process = Process.Start(info)!;
        var ingress = new IngressProcess(process) { Port = port };
        process.OutputDataReceived += (_, e) => ingress.Append(e.Data);
        process.ErrorDataReceived += (_, e) => ingress.Append(e.Data);
        if (readStdout)
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
        return ingress;
    }

    /// <summary>
    /// Starts reading the stdout of a process started with <see cref="StartWithStdoutStalledAsync"/>, at most
    /// <paramref name="bytesPerSecond"/> (a slow log collector), or as fast as it comes when null.
    /// </summary>
    public void ReadStdout(long? bytesPerSecond = null)
    {
        if (_stdoutPump is not null)
        {
            throw new InvalidOperationException("stdout is already being read");
        }

        _stdoutPump = Task.Run(() => PumpStdoutAsync(_process.StandardOutput.BaseStream, bytesPerSecond));
    }

    private async Task PumpStdoutAsync(Stream stdout, long? bytesPerSecond)
    {
        var buffer = new byte[16 * 1024];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        var clock = Stopwatch.StartNew();
        long total = 0;
        int read;
        while ((read = await stdout.ReadAsync(buffer)) > 0)
        {
            var decoded = decoder.GetChars(buffer, 0, read, chars, 0);
            lock (_output)
            {
                _output.Append(chars, 0, decoded);
            }

            total += read;
            if (bytesPerSecond is { } rate)
            {
                // Pacing, not waiting for something: the reader takes no more than its rate allows.
                var due = TimeSpan.FromSeconds((double)total / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }
            }
        }
    }

    /// <summary>
    /// Starts the ingress with exactly <paramref name="args"/> (which must name <paramref name="port"/>) and
    /// <paramref name="environment"/>, as a deployment would, and waits until <c>/status.ok</c> answers 200.
    /// </summary>
    public static async Task<IngressProcess> StartExactAsync(int port, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = StartInfo(args);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var ingress = Launch(info, port);
        await ingress.WaitForStatusAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(20));
        return ingress;
    }

    /// <summary>Polls <c>/status.ok</c> until it answers <paramref name="expected"/>.</summary>
    public async Task WaitForStatusAsync(HttpStatusCode expected, TimeSpan deadline)
    {
        var process = _process;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        await Eventually.WaitAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"ingress exited with {process.ExitCode}: {Output}");
            }

            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{Port}/status.ok");
                return response.StatusCode;
            }
            catch (HttpRequestException)
            {
                return (HttpStatusCode)0; // not listening yet
            }
            catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
            {
                return (HttpStatusCode)0; // listening, but no answer within the probe's 1 s yet (a loaded machine)
            }
        }, status => status == expected, deadline, $"/status.ok answering {(int)expected}");
    }

    /// <summary>Sends SIGTERM, as Kubernetes does when it stops a pod.</summary>
    public void SendSigterm()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Resident and peak resident memory of the process in bytes, from /proc.</summary>
    public (long Rss, long PeakRss) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = ParseKilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = ParseKilobytes(line);
            }
        }

        return (rss, peak);
    }

    private static long ParseKilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static ProcessStartInfo StartInfo(string[] args, IngressLaunch? launch = null)
    {
        launch ??= IngressLaunch.Default;
        var info = new ProcessStartInfo(launch.Command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in launch.Command.Skip(1).Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in launch.Environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
