using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

public sealed class AccessParameterTests
{
    [Theory]
    [InlineData("/x?opensandbox-access=t", "/x", "t")]
    [InlineData("/x?a=1&opensandbox-access=t%2Bu&b=%20", "/x?a=1&b=%20", "t+u")]
    [InlineData("/x?a=1", "/x?a=1", null)]
    [InlineData("/x?my-opensandbox-access=t", "/x?my-opensandbox-access=t", null)]
    public void The_parameter_is_found_and_cut_out_with_the_rest_kept_byte_for_byte(string target, string without, string? value)
    {
        Assert.Equal(value, AccessParameter.Find(target));
        Assert.Equal(without, AccessParameter.Remove(target));
    }
}
