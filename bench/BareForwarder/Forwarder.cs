using System.Net;
using Microsoft.AspNetCore.Http.Features;

/// <summary>One request to one backend and its response back, with HttpMessageInvoker and nothing else.</summary>
internal static class Forwarder
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    public static async Task ForwardAsync(HttpContext context, HttpMessageInvoker invoker, string backend)
    {
        // 1. The request: method, target, headers and, when there is one, the body as a stream.
        var request = context.Request;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true };
        using var message = new HttpRequestMessage(HttpMethod.Parse(request.Method), backend + request.Path.Value + request.QueryString.Value)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            message.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (!HopByHop.Contains(name) && !message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        if (upgrade)
        {
            message.Headers.TryAddWithoutValidation("Connection", "Upgrade");
            message.Headers.TryAddWithoutValidation("Upgrade", request.Headers.Upgrade.ToString());
        }

        // 2. The response head.
        using var response = await invoker.SendAsync(message, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        CopyHeaders(response.Headers, context.Response.Headers);
        CopyHeaders(response.Content.Headers, context.Response.Headers);

        // 3. The body, or the tunnel after a 101.
        await using var backendStream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        if (response.StatusCode == HttpStatusCode.SwitchingProtocols && upgrade)
        {
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = response.Headers.Upgrade.ToString();
            await using var client = await context.Features.GetRequiredFeature<IHttpUpgradeFeature>().UpgradeAsync();
            await Task.WhenAny(backendStream.CopyToAsync(client), client.CopyToAsync(backendStream));
            return;
        }

        await backendStream.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static void CopyHeaders(System.Net.Http.Headers.HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var header in from.NonValidated)
        {
            if (!HopByHop.Contains(header.Key))
            {
                to[header.Key] = header.Value.Count == 1 ? header.Value.ToString() : header.Value.ToArray();
            }
        }
    }
}
