using OpenSandbox.Ingress.Sandbox;

namespace OpenSandbox.Ingress.Tests.Unit.Sandbox;

/// <summary>Expected hashes were computed with Python's hashlib, independently of this code base.</summary>
public sealed class Dns1035LabelTests
{
    [Theory]
    [InlineData("my-box", "my-box")]
    [InlineData("My_Box.v2", "my-box-v2")]
    [InlineData("UPPER", "upper")]
    [InlineData("a__b..c", "a-b-c")]
    [InlineData("--edge--", "edge")]
    [InlineData("a--b", "a-b")]
    [InlineData("1abc", "sandbox-1abc")]
    [InlineData("9", "sandbox-9")]
    [InlineData("___", "sandbox-bda25155")]
    [InlineData("!!!", "sandbox-e84c538e")]
    [InlineData("ünïcode", "n-code")]
    public void Ids_become_dns_1035_labels(string id, string expected) => Assert.Equal(expected, Dns1035Label.FromSandboxId(id));

    [Fact]
    public void A_100_character_id_is_cut_to_54_and_gets_the_hash()
    {
        Assert.Equal(new string('a', 54) + "-28165978", Dns1035Label.FromSandboxId(new string('a', 100)));
    }

    [Fact]
    public void A_long_id_starting_with_a_digit_is_prefixed_then_cut()
    {
        var label = Dns1035Label.FromSandboxId("1" + new string('b', 99));

        Assert.Equal("sandbox-1" + new string('b', 45) + "-13e626df", label);
        Assert.True(label.Length <= 63);
    }

    [Fact]
    public void Trailing_dashes_left_by_the_cut_are_trimmed()
    {
        Assert.Equal("sandbox-" + new string('9', 46) + "-ceaad221", Dns1035Label.FromSandboxId("---" + new string('9', 70)));
    }

    [Fact]
    public void Agent_sandbox_candidates_are_the_label_the_id_and_the_prefixed_id_in_that_order()
    {
        Assert.Equal(["my-box-v2", "My_Box.v2", "sandbox-My_Box.v2"], [.. SandboxNaming.AgentSandbox.Candidates("My_Box.v2")]);
        Assert.Equal(["plain", "sandbox-plain"], [.. SandboxNaming.AgentSandbox.Candidates("plain")]);
        Assert.Equal(["sandbox-x"], [.. SandboxNaming.AgentSandbox.Candidates("sandbox-x")]);
        Assert.Equal(["My_Box"], [.. SandboxNaming.Exact.Candidates("My_Box")]);
    }
}
