using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Security;

/// <summary>The outcome of the secure-access check for one request.</summary>
/// <param name="StatusCode">200 when allowed, else the status to answer.</param>
/// <param name="Reason">Why the request is refused; never contains the token.</param>
/// <param name="ReadSigned">URI mode: forward the path with the signed prefix stripped.</param>
internal readonly record struct AccessDecision(int StatusCode, string? Reason, bool ReadSigned)
{
    public bool IsAllowed => StatusCode == StatusCodes.Status200OK;

    public static AccessDecision Allow(bool readSigned) => new(StatusCodes.Status200OK, null, readSigned);

    public static AccessDecision Deny(int statusCode, string reason) => new(statusCode, reason, false);
}
