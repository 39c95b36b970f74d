using OpenSandbox.Ingress.Sandbox;

namespace OpenSandbox.Ingress.Tests.Unit.Sandbox;

public sealed class SandboxDirectoryTests
{
    private static SandboxRecord Record(string name, string ns = "default", string endpoint = "10.0.0.1", bool agent = true) =>
        new(ns, name, agent ? SandboxKind.AgentSandbox : SandboxKind.BatchSandbox, endpoint, null, SandboxReadiness.Ready);

    [Fact]
    public void Is_not_synced_until_the_first_full_picture()
    {
        var directory = new SandboxDirectory(SandboxNaming.Exact);
        Assert.False(directory.IsSynced);

        directory.ReplaceAll([]);

        Assert.True(directory.IsSynced);
    }

    [Fact]
    public void Upsert_replaces_the_record_of_the_same_namespace_and_remove_deletes_it()
    {
        var directory = new SandboxDirectory(SandboxNaming.Exact);
        directory.ReplaceAll([Record("a")]);

        directory.Upsert(Record("a", endpoint: "10.0.0.2"));
        Assert.Equal("10.0.0.2", directory.Lookup("a").Record!.Endpoint);

        directory.Remove("default", "a");
        Assert.Null(directory.Lookup("a").Record);
        Assert.False(directory.Lookup("a").IsAmbiguous);
        Assert.Equal(0, directory.Count);
    }

    [Fact]
    public void The_same_name_in_two_namespaces_is_ambiguous_until_one_goes()
    {
        var directory = new SandboxDirectory(SandboxNaming.Exact);
        directory.ReplaceAll([Record("a", "x"), Record("a", "y")]);

        Assert.Equal(["x", "y"], directory.Lookup("a").AmbiguousNamespaces);

        directory.Remove("x", "a");
        Assert.Equal("y", directory.Lookup("a").Record!.Namespace);
    }

    [Fact]
    public void Replace_all_drops_what_is_no_longer_there()
    {
        var directory = new SandboxDirectory(SandboxNaming.Exact);
        directory.ReplaceAll([Record("a"), Record("b")]);

        directory.ReplaceAll([Record("b")]);

        Assert.Null(directory.Lookup("a").Record);
        Assert.NotNull(directory.Lookup("b").Record);
    }

    [Fact]
    public void Agent_sandbox_lookup_tries_the_name_candidates_in_order()
    {
        var directory = new SandboxDirectory(SandboxNaming.AgentSandbox);
        directory.ReplaceAll([Record("sandbox-Raw_Id", endpoint: "10.0.0.3"), Record("raw-id", endpoint: "10.0.0.4")]);

        Assert.Equal("10.0.0.4", directory.Lookup("Raw_Id").Record!.Endpoint);
        Assert.Equal("10.0.0.3", directory.Lookup("sandbox-Raw_Id").Record!.Endpoint);
    }

    [Fact]
    public void Batch_sandboxes_in_a_mixed_directory_are_reached_by_their_exact_name_only()
    {
        var directory = new SandboxDirectory(SandboxNaming.AgentSandbox);
        directory.ReplaceAll([Record("beta", agent: false), Record("gamma", agent: true)]);

        Assert.NotNull(directory.Lookup("beta").Record);
        Assert.Null(directory.Lookup("Beta").Record);
        Assert.Null(directory.Lookup("beta-").Record);
        Assert.NotNull(directory.Lookup("Gamma").Record);
    }
}
