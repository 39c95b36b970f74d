using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

public sealed class AccessParameterTests
{
    [Theory]
    [InlineData("/x?opensandbox-access=t", "/x", "t")]
    [InlineData("/x?a=1&opensandbox-access=t%2Bu&b=%20", "/x?a=1&b=%20", "t+u")]
    [InlineData("/x?a=1", "/x?a=1", null)]
    [InlineData("/x?my-opensandbox-access=t", "/x?my-opensandbox-access=t", null)]
    [InlineData("/x?opensandbox%2Daccess=t&a=%41", "/x?a=%41", "t")]
    [InlineData("/x?a=1&%6Fpensandbox-access=t", "/x?a=1", "t")]
    [InlineData("/x?opensandbox-access", "/x", "")]
    public void The_parameter_is_found_and_cut_out_with_the_rest_kept_byte_for_byte(string target, string without, string? value)
    {
        Assert.Equal(value, AccessParameter.Find(target, out var repeated));
        Assert.False(repeated);
        Assert.Equal(without, AccessParameter.Remove(target));
    }

    [Fact]
    public void Every_occurrence_is_cut_out_and_a_repeated_parameter_is_reported()
    {
        const string Target = "/x?opensandbox-access=a&b=1&opensandbox%2daccess=c";

        Assert.Equal("a", AccessParameter.Find(Target, out var repeated));
        Assert.True(repeated);
        Assert.Equal("/x?b=1", AccessParameter.Remove(Target));
    }
}
