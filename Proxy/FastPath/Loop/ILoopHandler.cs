namespace OpenSandbox.Ingress.Proxy.FastPath.Loop;

/// <summary>What an <see cref="EventLoop"/> calls with the epoll events of a descriptor registered with it.</summary>
internal interface ILoopHandler
{
    /// <summary>On the loop's thread.</summary>
    void OnEvents(uint events);
}
