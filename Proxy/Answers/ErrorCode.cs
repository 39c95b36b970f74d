using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Proxy.Answers;

/// <summary>Why the ingress answers a request itself (SPEC §5); each has a stable upper-case name for programs.</summary>
internal enum ErrorCode
{
    RouteInvalid,
    RequestInvalid,
    AccessDenied,
    SandboxNotFound,
    MethodNotAllowed,
    TooManyRequests,
    SandboxUnreachable,
    SandboxAmbiguous,
    SandboxNotReady,
    CacheNotSynced,
    VerifierNotConfigured,
    WakeFailed,
    Draining,
    SandboxTimeout,
}

internal static class ErrorCodes
{
    public static int Status(this ErrorCode code) => code switch
    {
        ErrorCode.RouteInvalid or ErrorCode.RequestInvalid => StatusCodes.Status400BadRequest,
        ErrorCode.AccessDenied => StatusCodes.Status401Unauthorized,
        ErrorCode.SandboxNotFound => StatusCodes.Status404NotFound,
        ErrorCode.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        ErrorCode.TooManyRequests => StatusCodes.Status429TooManyRequests,
        ErrorCode.SandboxUnreachable or ErrorCode.SandboxAmbiguous => StatusCodes.Status502BadGateway,
        ErrorCode.SandboxTimeout => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status503ServiceUnavailable,
    };

    /// <summary>The name in JSON answers: <c>ROUTE_INVALID</c>, <c>SANDBOX_NOT_READY</c>, …</summary>
    public static string Name(this ErrorCode code) => code switch
    {
        ErrorCode.RouteInvalid => "ROUTE_INVALID",
        ErrorCode.RequestInvalid => "REQUEST_INVALID",
        ErrorCode.AccessDenied => "ACCESS_DENIED",
        ErrorCode.SandboxNotFound => "SANDBOX_NOT_FOUND",
        ErrorCode.MethodNotAllowed => "METHOD_NOT_ALLOWED",
        ErrorCode.TooManyRequests => "TOO_MANY_REQUESTS",
        ErrorCode.SandboxUnreachable => "SANDBOX_UNREACHABLE",
        ErrorCode.SandboxAmbiguous => "SANDBOX_AMBIGUOUS",
        ErrorCode.SandboxNotReady => "SANDBOX_NOT_READY",
        ErrorCode.CacheNotSynced => "CACHE_NOT_SYNCED",
        ErrorCode.VerifierNotConfigured => "VERIFIER_NOT_CONFIGURED",
        ErrorCode.WakeFailed => "WAKE_FAILED",
        ErrorCode.Draining => "DRAINING",
        _ => "SANDBOX_TIMEOUT",
    };

    /// <summary>
    /// Seconds a client should wait before asking again, for answers that will change by themselves: a sandbox that
    /// may become ready, a cache still syncing, a sandbox at its request limit. Null for the rest.
    /// </summary>
    public static int? RetryAfterSeconds(this ErrorCode code) => code switch
    {
        ErrorCode.SandboxNotReady or ErrorCode.CacheNotSynced => 5,
        ErrorCode.TooManyRequests => 1,
        ErrorCode.WakeFailed => 10,
        _ => null,
    };
}
