namespace OpenSandbox.Ingress.Sandbox;

/// <summary>How a sandbox id from a request maps to the resource names to look up, first match wins.</summary>
internal sealed class SandboxNaming
{
    /// <summary>BatchSandbox: the id is the resource name.</summary>
    public static readonly SandboxNaming Exact = new(agentSandbox: false);

    /// <summary>agent-sandbox (SPEC §6.2): DNS-1035 form of the id, the id as given, then <c>sandbox-</c> + id.</summary>
    public static readonly SandboxNaming AgentSandbox = new(agentSandbox: true);

    private const string SandboxPrefix = "sandbox-";

    private readonly bool _agentSandbox;

    private SandboxNaming(bool agentSandbox) => _agentSandbox = agentSandbox;

    public NameCandidates Candidates(string sandboxId)
    {
        if (!_agentSandbox)
        {
            return new NameCandidates(sandboxId, null, null);
        }

        var label = Dns1035Label.FromSandboxId(sandboxId);
        var prefixed = sandboxId.StartsWith(SandboxPrefix, StringComparison.Ordinal) ? null : SandboxPrefix + sandboxId;
        return new NameCandidates(
            label,
            sandboxId == label ? null : sandboxId,
            prefixed == label ? null : prefixed);
    }
}

/// <summary>Up to three names, enumerated without allocation.</summary>
internal readonly struct NameCandidates(string first, string? second, string? third)
{
    public Enumerator GetEnumerator() => new(this);

    public struct Enumerator(NameCandidates candidates)
    {
        private int _index = -1;

        public string Current { get; private set; } = "";

        public bool MoveNext()
        {
            while (++_index < 3)
            {
                var next = _index switch
                {
                    0 => candidates._first,
                    1 => candidates._second,
                    _ => candidates._third,
                };
                if (next is not null)
                {
                    Current = next;
                    return true;
                }
            }

            return false;
        }
    }

    private readonly string _first = first;
    private readonly string? _second = second;
    private readonly string? _third = third;
}
