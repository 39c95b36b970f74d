using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Security;

/// <summary>What let a request in, for the browser-session stage: a credential in the URL is exchanged for a cookie.</summary>
internal enum AccessCredential
{
    /// <summary>The sandbox has no token, or the request was refused.</summary>
    None,
    Header,
    SignedRoute,
    Session,

    /// <summary>The <c>opensandbox-access</c> query parameter holding the token or a grant.</summary>
    Parameter,

    /// <summary>The <c>opensandbox-access</c> query parameter holding a hand-off code, spent when its cookie is issued.</summary>
    Handoff,
}

/// <summary>The outcome of the secure-access check for one request.</summary>
/// <param name="Refusal">Null when allowed, else the answer (its reason never contains the token).</param>
/// <param name="ReadSigned">URI mode: forward the path with the signed prefix stripped.</param>
internal readonly record struct AccessDecision(ErrorResponse? Refusal, bool ReadSigned)
{
    public bool IsAllowed => Refusal is null;

    public int StatusCode => Refusal?.Status ?? StatusCodes.Status200OK;

    public AccessCredential Credential { get; init; }

    /// <summary>Unix seconds when the credential ends (a grant or signed route); 0 when it has no end of its own (the token).</summary>
    public ulong Expires { get; init; }

    public static AccessDecision Allow(bool readSigned) => new(null, readSigned);

    public static AccessDecision Allow(bool readSigned, AccessCredential credential, ulong expires = 0) =>
        new(null, readSigned) { Credential = credential, Expires = expires };
}
