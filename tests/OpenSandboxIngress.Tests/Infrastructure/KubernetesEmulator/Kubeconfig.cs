namespace OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

/// <summary>Writes an ordinary kubeconfig file pointing at the emulator, the way the ingress reaches a real cluster.</summary>
internal static class Kubeconfig
{
    /// <param name="token">Bearer token; a placeholder is written when null (see <paramref name="anonymous"/> for none).</param>
    /// <param name="anonymous">The user entry is <c>user: {}</c>, as for <c>kubectl proxy</c>.</param>
    /// <param name="userEntry">The user's credential lines verbatim (indented six spaces), replacing the token or certificate.</param>
    public static string Write(Uri server, string? token, string? certificateAuthorityBase64,
        (string CertificateBase64, string KeyBase64)? clientCertificate = null, bool anonymous = false, string? userEntry = null)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("osb-kube-").FullName, "config");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: emulator
                cluster:
                  server: {server.GetLeftPart(UriPartial.Authority)}
            {(certificateAuthorityBase64 is null ? "" : $"      certificate-authority-data: {certificateAuthorityBase64}\n")}contexts:
              - name: emulator
                context:
                  cluster: emulator
                  user: tester
            current-context: emulator
            users:
              - name: tester
            {(anonymous ? "    user: {}\n" : "    user:\n")}{(anonymous ? ""
                : userEntry is not null ? userEntry
                : clientCertificate is { } client
                ? $"      client-certificate-data: {client.CertificateBase64}\n      client-key-data: {client.KeyBase64}\n"
                : $"      token: {token ?? "any-token"}\n")}
            """);
        return path;
    }
}
