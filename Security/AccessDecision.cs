using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Security;

/// <summary>The outcome of the secure-access check for one request.</summary>
/// <param name="Refusal">Null when allowed, else the answer (its reason never contains the token).</param>
/// <param name="ReadSigned">URI mode: forward the path with the signed prefix stripped.</param>
internal readonly record struct AccessDecision(ErrorResponse? Refusal, bool ReadSigned)
{
    public bool IsAllowed => Refusal is null;

    public int StatusCode => Refusal?.Status ?? StatusCodes.Status200OK;

    public static AccessDecision Allow(bool readSigned) => new(null, readSigned);
}
