namespace OpenSandbox.Ingress.Proxy.Answers;

/// <summary>The answers more than one stage gives, worded in one place.</summary>
internal static class Refusals
{
    public static readonly ErrorResponse CacheNotSynced = new(ErrorCode.CacheNotSynced, "cache not synced");

    public static ErrorResponse NotReady(SandboxRequestFeature request) =>
        new(ErrorCode.SandboxNotReady, $"{request.Sandbox.Readiness.Reason ?? "no endpoint"}: {request.SandboxId}", request.SandboxId, request.Port);

    public static ErrorResponse Unreachable(SandboxRequestFeature request) =>
        new(ErrorCode.SandboxUnreachable, $"sandbox {request.SandboxId} is unreachable", request.SandboxId, request.Port);
}
