using OpenSandbox.Ingress.Configuration;
using OpenTelemetry.Trace;

namespace OpenSandbox.Ingress.Tracing;

/// <summary>The sampler <c>OTEL_TRACES_SAMPLER</c> and <c>OTEL_TRACES_SAMPLER_ARG</c> name (checked by <see cref="TracingOptions"/>).</summary>
internal static class TraceSamplers
{
    public static Sampler From(TracingOptions options) => options.Sampler switch
    {
        "always_on" => new AlwaysOnSampler(),
        "always_off" => new AlwaysOffSampler(),
        "traceidratio" => new TraceIdRatioBasedSampler(options.SamplerRatio),
        "parentbased_always_off" => new ParentBasedSampler(new AlwaysOffSampler()),
        "parentbased_traceidratio" => new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SamplerRatio)),
        _ => new ParentBasedSampler(new AlwaysOnSampler()),
    };
}
