using OpenSandbox.Ingress.Configuration;

namespace OpenSandbox.Ingress.Tests.Unit.Configuration;

/// <summary>Traces are configured by the standard OpenTelemetry variables (SPEC §15), read with the flags and checked as strictly.</summary>
public sealed class TracingOptionsTests
{
    private static (IngressOptions? Options, string? Error) Read(params (string Name, string Value)[] variables)
    {
        var environment = new Dictionary<string, string>();
        foreach (var (name, value) in variables)
        {
            environment[name] = value;
        }

        var parse = IngressCommandLine.Create((_, _) => Task.FromResult(0)).Parse([]);
        return IngressOptions.Read(parse, name => environment.GetValueOrDefault(name));
    }

    [Fact]
    public void Without_an_endpoint_tracing_is_off()
    {
        var tracing = Read(("OTEL_TRACES_SAMPLER", "always_on")).Options!.Tracing;

        Assert.False(tracing.IsOn);
        Assert.Equal("opensandbox-ingress", tracing.ServiceName);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "http://collector:4318/v1/traces")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/base/", "http://collector:4318/base/v1/traces")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://collector/custom", "https://collector/custom")]
    public void The_traces_endpoint_is_built_as_the_specification_says(string variable, string value, string expected) =>
        Assert.Equal(new Uri(expected), Read((variable, value)).Options!.Tracing.TracesEndpoint);

    [Fact]
    public void The_sampler_ratio_and_service_name_are_read_and_the_sdk_switch_turns_it_all_off()
    {
        var tracing = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.01"), ("OTEL_SERVICE_NAME", "edge")).Options!.Tracing;

        Assert.Equal(("parentbased_traceidratio", 0.01, "edge"), (tracing.Sampler, tracing.SamplerRatio, tracing.ServiceName));
        Assert.False(Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_SDK_DISABLED", "true")).Options!.Tracing.IsOn);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]
    [InlineData("OTEL_TRACES_SAMPLER", "sometimes")]
    [InlineData("OTEL_TRACES_SAMPLER_ARG", "1.5")]
    public void A_bad_value_fails_with_one_line_naming_the_variable(string variable, string value)
    {
        var (options, error) = Read(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_TRACES_SAMPLER", "traceidratio"), (variable, value));

        Assert.Null(options);
        Assert.StartsWith(variable + ":", error);
    }
}
