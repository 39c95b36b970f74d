namespace OpenSandbox.Ingress.Configuration;

/// <summary>
/// Traces (SPEC §15), configured by the standard OpenTelemetry variables rather than flags, so the ingress reads what
/// every other service in the cluster is given: on only when an OTLP endpoint is set.
/// </summary>
internal sealed record TracingOptions
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string SamplerVariable = "OTEL_TRACES_SAMPLER";
    public const string SamplerArgumentVariable = "OTEL_TRACES_SAMPLER_ARG";
    public const string DisabledVariable = "OTEL_SDK_DISABLED";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    /// <summary>The samplers of the OpenTelemetry specification's environment variables.</summary>
    public static readonly string[] SamplerNames =
        ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"];

    /// <summary>Where spans are posted (OTLP/HTTP, protobuf); null = tracing off, no span recorded.</summary>
    public Uri? TracesEndpoint { get; init; }

    public string Sampler { get; init; } = "parentbased_always_on";

    /// <summary>The ratio of the <c>traceidratio</c> samplers, from 0 to 1.</summary>
    public double SamplerRatio { get; init; } = 1.0;

    /// <summary>The <c>service.name</c> of spans and metrics: <c>OTEL_SERVICE_NAME</c>, else the program's name.</summary>
    public string ServiceName { get; init; } = Version.BuildInfo.ProgramName;

    public bool IsOn => TracesEndpoint is not null;

    /// <summary>
    /// The traces endpoint as the specification builds it: <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> as given, else
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with <c>/v1/traces</c> appended.
    /// </summary>
    public static TracingOptions Read(FlagReader flags)
    {
        var serviceName = flags.Variable(ServiceNameVariable) is { Length: > 0 } named ? named : Version.BuildInfo.ProgramName;
        if (string.Equals(flags.Variable(DisabledVariable), "true", StringComparison.OrdinalIgnoreCase))
        {
            return new TracingOptions { ServiceName = serviceName };
        }

        var endpoint = ReadEndpoint(flags);
        var sampler = flags.Variable(SamplerVariable) is { Length: > 0 } name ? name.Trim().ToLowerInvariant() : "parentbased_always_on";
        if (!SamplerNames.Contains(sampler))
        {
            sampler = flags.FailVariable(SamplerVariable, $"{sampler} is not one of {string.Join(", ", SamplerNames)}", "parentbased_always_on");
        }

        var ratio = 1.0;
        if (sampler.EndsWith("traceidratio", StringComparison.Ordinal) && flags.Variable(SamplerArgumentVariable) is { Length: > 0 } argument
            && (!double.TryParse(argument, System.Globalization.CultureInfo.InvariantCulture, out ratio) || ratio is < 0 or > 1))
        {
            ratio = flags.FailVariable(SamplerArgumentVariable, $"{argument} is not a ratio from 0 to 1", 1.0);
        }

        return new TracingOptions { TracesEndpoint = endpoint, Sampler = sampler, SamplerRatio = ratio, ServiceName = serviceName };
    }

    private static Uri? ReadEndpoint(FlagReader flags)
    {
        var (variable, value) = flags.Variable(TracesEndpointVariable) is { Length: > 0 } traces
            ? (TracesEndpointVariable, traces)
            : (EndpointVariable, flags.Variable(EndpointVariable));
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            return flags.FailVariable<Uri?>(variable, $"{value} is not an http(s) URL", null);
        }

        return variable == TracesEndpointVariable ? endpoint : new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/v1/traces");
    }
}
