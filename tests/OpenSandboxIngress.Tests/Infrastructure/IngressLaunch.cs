namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// How <see cref="IngressProcess"/> starts the ingress: the command in front of its flags (the binary under test, or an
/// emulator and the binary it runs), variables added to the environment, and whether to wait for <c>/status.ok</c> 200.
/// </summary>
internal sealed record IngressLaunch
{
    public static IngressLaunch Default => new();

    public IReadOnlyList<string> Command { get; init; } = [IngressProcess.ExecutablePath];

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public bool WaitForReady { get; init; } = true;
}
