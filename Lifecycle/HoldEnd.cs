namespace OpenSandbox.Ingress.Lifecycle;

/// <summary>How a held request stopped waiting: the <c>ended</c> label of the wait histogram.</summary>
internal enum HoldEnd
{
    /// <summary>The cache showed the sandbox ready.</summary>
    Ready,

    /// <summary>The sandbox's port accepted the request before the cache showed it ready (<c>--hold-probe-port</c>).</summary>
    Port,

    Deadline,

    /// <summary>The sandbox was deleted meanwhile (or its name became ambiguous).</summary>
    Deleted,
    WakeFailed,

    /// <summary>The sandbox's token changed meanwhile and the request does not carry the new one.</summary>
    Refused,
    ClientGone,
}
