namespace OpenSandbox.Ingress.Hosting;

/// <summary>Start-up cannot go on (unreadable kubeconfig, ...); the message is one line for the operator.</summary>
internal sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
