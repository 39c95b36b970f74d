namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>Where the request path reports that a sandbox was used. Never blocks, never throws.</summary>
internal interface IRenewIntents
{
    void Observe(string sandboxId, int port, string requestUri);
}

/// <summary>Renew intents switched off (the default): nothing is recorded and no Redis connection is made.</summary>
internal sealed class DisabledRenewIntents : IRenewIntents
{
    public void Observe(string sandboxId, int port, string requestUri)
    {
    }
}
