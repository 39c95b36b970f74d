namespace OpenSandbox.Ingress.Proxy;

/// <summary>Either a route or the one-line reason it could not be read (answered 400).</summary>
internal readonly record struct RouteParseResult(SandboxRoute? Route, string? Error)
{
    public static RouteParseResult Ok(SandboxRoute route) => new(route, null);

    public static RouteParseResult Fail(string error) => new(null, error);
}
