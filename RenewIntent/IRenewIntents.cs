namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>Where the request path reports that a sandbox was used. Never blocks, never throws.</summary>
internal interface IRenewIntents
{
    /// <param name="pathAndQuery">The request target the sandbox receives; only its path is published.</param>
    void Observe(string sandboxId, int port, string pathAndQuery);
}

