namespace OpenSandbox.Ingress.Proxy;

/// <summary>Header names the ingress reads, strips or adds (SPEC §4, §7, §8).</summary>
internal static class IngressHeaders
{
    public const string IngressTo = "OpenSandbox-Ingress-To";
    public const string LegacyIngress = "OPEN-SANDBOX-INGRESS";
    public const string SecureAccess = "OpenSandbox-Secure-Access";

    /// <summary><c>OpenSandbox-Access-Renew: skip</c> keeps a request (a health check, say) from renewing the sandbox.</summary>
    public const string AccessRenew = "OpenSandbox-Access-Renew";
    public const string AccessRenewSkip = "skip";
    public const string PoweredBy = "Reverse-Proxy-Server-PowerBy";
    public const string PoweredByValue = "OpenSandbox-ingress";
    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedHost = "X-Forwarded-Host";
    public const string ForwardedPrefix = "X-Forwarded-Prefix";
}
