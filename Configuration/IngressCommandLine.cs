using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using OpenSandbox.Ingress.Version;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>
/// The command line of SPEC §2. Parsing is System.CommandLine's; each options record declares its flags and checks
/// their values once (<see cref="IngressOptions.Read"/>), naming the flag in a one-line error before anything listens.
/// </summary>
internal static class IngressCommandLine
{
    public const int ExitBadInput = 2;

    /// <summary>Builds the root command; <paramref name="run"/> receives validated options.</summary>
    public static RootCommand Create(Func<IngressOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand("OpenSandbox Ingress: HTTP and WebSocket reverse proxy in front of sandbox pods.");
        foreach (var flag in IngressOptions.Flags)
        {
            root.Options.Add(flag);
        }

        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintBuildInfoAction();
            }
        }

        root.SetAction(async (parseResult, cancellationToken) =>
        {
            var (options, error) = IngressOptions.Read(parseResult);
            if (options is null)
            {
                await Console.Error.WriteLineAsync($"{BuildInfo.ProgramName}: {error}");
                return ExitBadInput;
            }

            return await run(options, cancellationToken);
        });
        return root;
    }

    /// <summary>Parses and runs; System.CommandLine's own parse errors are printed as one line, not with the whole help.</summary>
    public static Task<int> InvokeAsync(string[] args, Func<IngressOptions, CancellationToken, Task<int>> run)
    {
        var parseResult = Create(run).Parse(args);
        if (parseResult.Errors.Count > 0 && parseResult.Action is not HelpAction && parseResult.Action is not PrintBuildInfoAction)
        {
            Console.Error.WriteLine($"{BuildInfo.ProgramName}: {parseResult.Errors[0].Message} (see --help)");
            return Task.FromResult(ExitBadInput);
        }

        // SIGTERM/SIGINT belong to the host, which drains for --drain-timeout; System.CommandLine's own handler
        // would end the process after its 2 s termination timeout, cutting the drain short.
        return parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private sealed class PrintBuildInfoAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(BuildInfo.Describe());
            return 0;
        }
    }
}
