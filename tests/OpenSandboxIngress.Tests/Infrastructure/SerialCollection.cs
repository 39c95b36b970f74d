namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>
/// Tests that saturate the machine (gigabytes through loopback) run alone, after the parallel ones, so they
/// neither starve the deadline-based tests nor are starved themselves.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial (heavy)";
}
