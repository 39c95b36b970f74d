using System.Runtime.InteropServices;

namespace OpenSandbox.Ingress.Version;

/// <summary>
/// Which build this is (SPEC §11). <see cref="Version"/>, <see cref="GitCommit"/> and <see cref="BuildTime"/>
/// are constants generated from MSBuild properties by <c>BuildInfo.targets</c>.
/// </summary>
internal static partial class BuildInfo
{
    public const string ProgramName = "opensandbox-ingress";

    /// <summary>The .NET runtime, e.g. <c>.NET 10.0.12</c>.</summary>
    public static string Runtime => RuntimeInformation.FrameworkDescription;

    /// <summary>Go-style platform, e.g. <c>linux/amd64</c>.</summary>
    public static string Platform => $"{OperatingSystemName()}/{ArchitectureName(RuntimeInformation.ProcessArchitecture)}";

    public static string Describe() =>
        $"""
        {ProgramName}
          Version:    {Version}
          Git commit: {GitCommit}
          Build time: {BuildTime}
          Runtime:    {Runtime}
          Platform:   {Platform}
        """;

    private static string OperatingSystemName() =>
        OperatingSystem.IsLinux() ? "linux"
        : OperatingSystem.IsMacOS() ? "darwin"
        : OperatingSystem.IsWindows() ? "windows"
        : RuntimeInformation.OSDescription;

    private static string ArchitectureName(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        _ => architecture.ToString().ToLowerInvariant(),
    };
}
