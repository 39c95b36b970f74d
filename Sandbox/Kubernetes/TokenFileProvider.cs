using System.Net.Http.Headers;
using k8s.Authentication;
using k8s.Exceptions;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// A bearer token kept in a file (kubeconfig <c>tokenFile</c>, the in-cluster service-account token), re-read whenever
/// the file changes and at least once a minute, as client-go does: bound service-account tokens expire and the
/// kubelet rotates the file, so a token read once at start-up would stop working after about an hour. The check is a
/// stat per request (a list or a watch, not per proxied request).
/// </summary>
internal sealed class TokenFileProvider : ITokenProvider
{
    /// <summary>Whatever the stat says, a token is never older than this (a rewrite within the clock's resolution, say).</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private readonly string _path;
    private readonly Lock _lock = new();
    private string _token;
    private (DateTime WriteTime, long Length) _stamp;
    private long _readAt;

    /// <exception cref="KubeConfigException">The file cannot be read or is empty (fails start-up, as kubectl does).</exception>
    public TokenFileProvider(string path)
    {
        _path = path;
        try
        {
            (_token, _stamp) = Read();
        }
        catch (IOException e)
        {
            throw new KubeConfigException($"cannot read the token file {path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new KubeConfigException($"cannot read the token file {path}: {e.Message}");
        }

        _readAt = Environment.TickCount64;
    }

    public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AuthenticationHeaderValue("Bearer", Current()));

    private string Current()
    {
        lock (_lock)
        {
            try
            {
                var stamp = Stamp();
                if (stamp != _stamp || Environment.TickCount64 - _readAt > (long)MaxAge.TotalMilliseconds)
                {
                    (_token, _stamp) = Read();
                    _readAt = Environment.TickCount64;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or KubeConfigException)
            {
                // Mid-rotation or briefly unreadable: the last token is still the best guess; a 401 will show if not.
            }

            return _token;
        }
    }

    /// <summary>
    /// The file's change stamp. Its stat is that of the link when the path is a symlink, and the kubelet's token is
    /// one (<c>token -> ..data/token</c>, rotated by swapping <c>..data</c>), so the link is followed to the file.
    /// </summary>
    private (DateTime, long) Stamp()
    {
        var file = new FileInfo(_path);
        if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
        {
            file = target;
        }

        return (file.LastWriteTimeUtc, file.Length);
    }

    private (string Token, (DateTime, long) Stamp) Read()
    {
        var stamp = Stamp();
        var token = File.ReadAllText(_path).Trim();
        return token.Length > 0 ? (token, stamp) : throw new KubeConfigException($"the token file {_path} is empty");
    }
}
