namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>Where the request path reports that a sandbox was used. Never blocks, never throws.</summary>
internal interface IRenewIntents
{
    /// <param name="pathAndQuery">The request target the sandbox receives; only its path is published.</param>
    void Observe(string sandboxId, int port, string pathAndQuery);
}

/// <summary>Renew intents switched off (the default): nothing is recorded and no Redis connection is made.</summary>
internal sealed class DisabledRenewIntents : IRenewIntents
{
    public void Observe(string sandboxId, int port, string pathAndQuery)
    {
    }
}
