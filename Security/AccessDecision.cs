using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Security;

/// <summary>The outcome of the secure-access check for one request.</summary>
/// <param name="Refusal">Null when allowed, else why the request is refused.</param>
/// <param name="Reason">Why the request is refused; never contains the token.</param>
/// <param name="ReadSigned">URI mode: forward the path with the signed prefix stripped.</param>
internal readonly record struct AccessDecision(ErrorCode? Refusal, string? Reason, bool ReadSigned)
{
    public bool IsAllowed => Refusal is null;

    public int StatusCode => Refusal?.Status() ?? StatusCodes.Status200OK;

    public static AccessDecision Allow(bool readSigned) => new(null, null, readSigned);

    public static AccessDecision Deny(ErrorCode refusal, string reason) => new(refusal, reason, false);
}
