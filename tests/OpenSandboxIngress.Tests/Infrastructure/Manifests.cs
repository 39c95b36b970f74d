namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>Small YAML manifests of the two sandbox kinds, for the file provider.</summary>
internal static class Manifests
{
    public static string BatchSandbox(string name, string endpoint = "127.0.0.1", int ready = 1, string @namespace = "default",
        string? token = null, string? phase = null) => $"""
        apiVersion: sandbox.opensandbox.io/v1alpha1
        kind: BatchSandbox
        metadata:
          name: {name}
          namespace: {@namespace}
          annotations:
            sandbox.opensandbox.io/endpoints: '["{endpoint}"]'
        {(token is null ? "" : $"    opensandbox.io/secure-access-token: \"{token}\"\n")}spec:
          replicas: 1
        status:
          ready: {ready}
        {(phase is null ? "" : $"  phase: {phase}\n")}
        """;

    public static string AgentSandbox(string name, string fqdn, bool ready = true, string @namespace = "default") => $"""
        apiVersion: agents.x-k8s.io/v1alpha1
        kind: Sandbox
        metadata:
          name: {name}
          namespace: {@namespace}
        status:
          serviceFQDN: {fqdn}
          conditions:
            - type: Ready
              status: "{(ready ? "True" : "False")}"
              reason: {(ready ? "Ready" : "PodPending")}
              message: {(ready ? "ok" : "waiting for the pod")}
        """;
}
