using Microsoft.Extensions.Primitives;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.Answers;

public sealed class ErrorFormatsTests
{
    [Theory]
    [InlineData(null, "plain")]
    [InlineData("*/*", "plain")]
    [InlineData("text/plain", "plain")]
    [InlineData("image/png", "plain")]
    [InlineData("garbage", "plain")]
    [InlineData("application/json, text/plain, */*", "plain")]
    [InlineData("application/json", "json")]
    [InlineData("application/json;q=0.9, text/plain;q=0.5", "json")]
    [InlineData("APPLICATION/JSON", "json")]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html")]
    [InlineData("text/*", "plain")]
    [InlineData("text/*;q=0.5, text/html", "html")]
    [InlineData("text/html;q=0, */*", "plain")]
    [InlineData("text/html;q=0.8, application/json;q=0.9", "json")]
    [InlineData("text/plain;q=0, application/json;q=0, text/html;q=0.1", "html")]
    public void The_most_specific_matching_range_decides_and_ties_go_to_plain_text(string? accept, string expected) =>
        Assert.Equal(expected, Name(ErrorFormats.Negotiate(accept is null ? StringValues.Empty : new StringValues(accept))));

    private static string Name(ErrorFormat format) => format switch
    {
        ErrorFormat.Json => "json",
        ErrorFormat.Html => "html",
        _ => "plain",
    };

    [Fact]
    public void Several_Accept_lines_count_as_one_list() =>
        Assert.Equal(ErrorFormat.Json, ErrorFormats.Negotiate(new StringValues(["text/plain;q=0.1", "application/json"])));
}
