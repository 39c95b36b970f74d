using OpenSandbox.Ingress.Logging;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>For unit tests of services that take the log writer but whose lines are not what the test checks.</summary>
internal static class Discarded
{
    public static LogWriter Log { get; } = new(Stream.Null);
}
