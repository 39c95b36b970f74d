using OpenSandbox.Ingress.Sandbox.Files;

namespace OpenSandbox.Ingress.Tests.Unit.Sandbox;

public sealed class ManifestFileTests
{
    [Fact]
    public void Reads_several_yaml_documents_of_both_kinds()
    {
        var (records, skipped) = ManifestFile.Read(new StringReader("""
            kind: BatchSandbox
            metadata: {name: one, annotations: {sandbox.opensandbox.io/endpoints: '["10.0.0.1"]'}}
            status: {ready: 1}
            ---
            kind: Sandbox
            metadata: {name: two, namespace: team}
            status:
              serviceFQDN: two.team.svc
              conditions: [{type: Ready, status: "True"}]
            ---
            """));

        Assert.Empty(skipped);
        Assert.Equal(["one", "two"], records.Select(r => r.Name));
        Assert.All(records, r => Assert.True(r.Readiness.IsReady));
    }

    [Fact]
    public void Reads_json_and_list_documents()
    {
        var (records, _) = ManifestFile.Read(new StringReader("""
            {"kind": "List", "items": [
              {"kind": "BatchSandbox", "metadata": {"name": "a"}, "status": {"ready": 2}},
              {"kind": "BatchSandbox", "metadata": {"name": "b"}, "status": {"ready": 0}}
            ]}
            """));

        Assert.Equal(["a", "b"], records.Select(r => r.Name));
        Assert.Contains("ready: 0/1", records[1].Readiness.Reason);
    }

    [Fact]
    public void Quoted_numbers_stay_strings_so_a_string_ready_count_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => ManifestFile.Read(new StringReader("kind: BatchSandbox\nmetadata: {name: a}\nstatus: {ready: '1'}\n")));
    }

    [Fact]
    public void Resources_of_other_kinds_are_skipped_with_a_reason()
    {
        var (records, skipped) = ManifestFile.Read(new StringReader("kind: ConfigMap\nmetadata: {name: cm}\n"));

        Assert.Empty(records);
        Assert.Contains("ConfigMap", Assert.Single(skipped));
    }

    [Theory]
    [InlineData("kind: [unterminated")]
    [InlineData("a: &x 1\nb: *x\n")]
    [InlineData("metadata: [1, 2]")]
    public void Broken_or_unsupported_yaml_throws_invalid_data(string text) =>
        Assert.Throws<InvalidDataException>(() => ManifestFile.Read(new StringReader(text)));
}
