using System.CommandLine;

namespace OpenSandbox.Ingress.Configuration;

/// <summary>The sandbox lifecycle at the door (SPEC §13): waking paused sandboxes and holding requests until ready.</summary>
internal sealed record LifecycleOptions
{
    private const int DefaultHoldMaxRequests = 1024;

    /// <summary>The longest a resume call may take when no hold bounds it.</summary>
    private static readonly TimeSpan MaxWakeCallTimeout = TimeSpan.FromSeconds(10);

    public static readonly Option<bool> WakeOnRequestFlag = new("--wake-on-request")
    {
        Description = "Resume a paused sandbox through the OpenSandbox server's lifecycle API when a request for it arrives (needs --lifecycle-api-url and --lifecycle-api-key-file).",
    };

    public static readonly Option<string?> ApiUrlFlag = new("--lifecycle-api-url")
    {
        Description = "Base URL of the OpenSandbox server, e.g. http://opensandbox-server:8080.",
    };

    public static readonly Option<string?> ApiKeyFileFlag = new("--lifecycle-api-key-file")
    {
        Description = "File holding the server's API key (sent as OPEN-SANDBOX-API-KEY), read again when it changes.",
    };

    public static readonly Option<double> HoldTimeoutFlag = new("--hold-timeout")
    {
        Description = "Seconds a request may wait for a sandbox that is paused, resuming or not ready yet; then 503 with Retry-After. 0 = answer at once.",
        DefaultValueFactory = _ => 0,
    };

    public static readonly Option<int> HoldMaxRequestsFlag = new("--hold-max-requests")
    {
        Description = "Requests that may wait at once; the next gets 503 at once.",
        DefaultValueFactory = _ => DefaultHoldMaxRequests,
    };

    public static readonly Option<bool> HoldProbePortFlag = new("--hold-probe-port")
    {
        Description = "Send a held request to a sandbox that has an endpoint but is not ready yet as soon as its port accepts a connection, "
            + "instead of waiting for the resource to turn ready (needs --hold-timeout).",
    };

    public static IEnumerable<Option> Flags => [WakeOnRequestFlag, ApiUrlFlag, ApiKeyFileFlag, HoldTimeoutFlag, HoldMaxRequestsFlag, HoldProbePortFlag];

    public bool WakeOnRequest { get; init; }

    /// <summary>Base URL of the lifecycle API, ending in '/'; set when <see cref="WakeOnRequest"/> is.</summary>
    public Uri? ApiUrl { get; init; }

    /// <summary>File holding the lifecycle API key; set when <see cref="WakeOnRequest"/> is.</summary>
    public string? ApiKeyFile { get; init; }

    /// <summary>How long a request may wait for a sandbox that is becoming ready; zero = answer at once.</summary>
    public TimeSpan HoldTimeout { get; init; }

    public int HoldMaxRequests { get; init; } = DefaultHoldMaxRequests;

    /// <summary>A held request for a sandbox that is starting goes out once its port accepts, ready or not.</summary>
    public bool HoldProbePort { get; init; }

    /// <summary>Whether the lifecycle stage runs at all.</summary>
    public bool IsOn => WakeOnRequest || HoldTimeout > TimeSpan.Zero;

    /// <summary>A resume call never outlives the hold it serves, and never takes longer than 10 s.</summary>
    public TimeSpan WakeCallTimeout => HoldTimeout > TimeSpan.Zero && HoldTimeout < MaxWakeCallTimeout ? HoldTimeout : MaxWakeCallTimeout;

    public static LifecycleOptions Read(FlagReader flags)
    {
        var wake = flags.Value(WakeOnRequestFlag);
        Uri? url = null;
        string? keyFile = null;
        if (wake)
        {
            if (!Uri.TryCreate(flags.Value(ApiUrlFlag), UriKind.Absolute, out url) || url.Scheme is not ("http" or "https"))
            {
                url = flags.Fail<Uri?>(ApiUrlFlag, "--wake-on-request needs the http(s) base URL of the OpenSandbox server");
            }
            else if (!url.AbsoluteUri.EndsWith('/'))
            {
                // The base path is kept: {url}/v1/sandboxes/... is resolved against it.
                url = new Uri(url.AbsoluteUri + "/");
            }

            keyFile = flags.Value(ApiKeyFileFlag);
            if (string.IsNullOrEmpty(keyFile) || !File.Exists(keyFile))
            {
                keyFile = flags.Fail<string?>(ApiKeyFileFlag, "--wake-on-request needs a readable file holding the API key");
            }
        }

        var holdTimeout = flags.Seconds(HoldTimeoutFlag, zeroAllowed: true);
        var probePort = flags.Value(HoldProbePortFlag);
        if (probePort && holdTimeout <= TimeSpan.Zero)
        {
            probePort = flags.Fail<bool>(HoldProbePortFlag, "--hold-probe-port needs --hold-timeout above 0: it changes how a held request waits");
        }

        return new LifecycleOptions
        {
            WakeOnRequest = wake,
            ApiUrl = url,
            ApiKeyFile = keyFile,
            HoldTimeout = holdTimeout,
            HoldProbePort = probePort,
            HoldMaxRequests = flags.AtLeast(HoldMaxRequestsFlag, 1, ""),
        };
    }
}
