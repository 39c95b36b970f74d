using System.Globalization;
using System.Net;
using System.Text;

namespace OpenSandbox.Ingress.Proxy.Answers;

/// <summary>
/// The HTML form of an answer, for people in a browser: one self-contained page (inline CSS, no script, no external
/// asset, every value escaped) that says what happened and what to do, and reloads itself when the answer will change
/// by itself (<see cref="ErrorCodes.RetryAfterSeconds"/>).
/// </summary>
internal static class ErrorPage
{
    private const string Style =
        "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;background:#f4f5f7;color:#1f2328}" +
        "main{max-width:34rem;margin:12vh auto;padding:2rem 2.25rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002}" +
        ".status{margin:0;font-size:.85rem;font-weight:600;letter-spacing:.06em;color:#8c959f}" +
        "h1{margin:.25rem 0 .75rem;font-size:1.5rem;line-height:1.25}" +
        "dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:1rem 0;font-size:.95rem}" +
        "dt{color:#656d76}dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}" +
        ".hint{padding:.75rem 1rem;background:#f6f8fa;border-left:3px solid #0969da;border-radius:4px}" +
        ".foot{margin:1.5rem 0 0;font-size:.8rem;color:#8c959f}";

    public static string Render(ErrorResponse answer)
    {
        var (headline, advice) = Words(answer.Code);
        var retry = answer.Code.RetryAfterSeconds();
        var html = new StringBuilder(2048);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
        if (retry is { } seconds)
        {
            html.Append("<meta http-equiv=\"refresh\" content=\"").Append(seconds.ToString(CultureInfo.InvariantCulture)).Append("\">");
        }

        html.Append("<title>").Append(answer.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Encode(headline))
            .Append(" · OpenSandbox</title><style>").Append(Style).Append("</style></head><body><main>")
            .Append("<p class=\"status\">").Append(answer.Status.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Encode(ReasonPhrase(answer.Status))).Append("</p>")
            .Append("<h1>").Append(Encode(headline)).Append("</h1>")
            .Append("<p>").Append(Encode(ErrorResponse.OneLine(answer.Reason))).Append("</p>");
        if (answer.SandboxId is not null || answer.Port is not null)
        {
            html.Append("<dl>");
            if (answer.SandboxId is { } id)
            {
                html.Append("<dt>Sandbox</dt><dd>").Append(Encode(id)).Append("</dd>");
            }

            if (answer.Port is { } port)
            {
                html.Append("<dt>Port</dt><dd>").Append(port.ToString(CultureInfo.InvariantCulture)).Append("</dd>");
            }

            html.Append("</dl>");
        }

        html.Append("<p class=\"hint\">").Append(Encode(advice));
        if (retry is { } wait)
        {
            html.Append(" This page reloads itself in ").Append(wait.ToString(CultureInfo.InvariantCulture)).Append(" seconds.");
        }

        html.Append("</p><p class=\"foot\">OpenSandbox Ingress · ").Append(answer.Code.Name()).Append("</p></main></body></html>\n");
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    /// <summary>What happened, in a person's words, and what they can do about it.</summary>
    private static (string Headline, string Advice) Words(ErrorCode code) => code switch
    {
        ErrorCode.RouteInvalid => ("This address does not name a sandbox",
            "Check the link: it needs the sandbox id and port, for example my-sandbox-8080.<domain> or /my-sandbox/8080/."),
        ErrorCode.RequestInvalid => ("The request broke off",
            "The ingress could not read the whole request. Send it again."),
        ErrorCode.AccessDenied => ("This sandbox needs a valid access link",
            "Open the sandbox with the signed link or access token its owner gave you; the link may have expired."),
        ErrorCode.SandboxNotFound => ("There is no such sandbox",
            "The sandbox may have been deleted or may not exist yet. Check the id, or create the sandbox again."),
        ErrorCode.MethodNotAllowed => ("This kind of request is not served here",
            "The ingress does not act as a forward proxy. Send an ordinary request to the sandbox instead."),
        ErrorCode.TooManyRequests => ("This sandbox is busy",
            "It is already handling as many requests as it may at once. Try again in a moment."),
        ErrorCode.SandboxUnreachable => ("The sandbox did not answer",
            "Nothing is listening on that port inside the sandbox, or it just restarted. Start the server in the sandbox and try again."),
        ErrorCode.SandboxAmbiguous => ("This sandbox name is used twice",
            "Two namespaces hold a sandbox of this name, so the ingress cannot tell which one you mean. Ask the operator to rename one."),
        ErrorCode.SandboxNotReady => ("This sandbox is not ready yet",
            "It is starting, resuming or paused. Wait a few seconds and reload."),
        ErrorCode.CacheNotSynced => ("The ingress is starting",
            "It has not loaded the list of sandboxes yet. Wait a few seconds and reload."),
        ErrorCode.VerifierNotConfigured => ("Signed links are not set up on this ingress",
            "The ingress has no signing keys, so it cannot check this link. Ask the operator to configure them."),
        ErrorCode.WakeFailed => ("This sandbox is paused and could not be woken",
            "The ingress asked the OpenSandbox server to resume it and the server did not accept. Try again in a little while."),
        ErrorCode.Draining => ("The ingress is shutting down",
            "Another instance takes over in a moment. Reload the page."),
        _ => ("The sandbox took too long to answer",
            "It may be busy or stuck. Try again; if it keeps happening, check the server inside the sandbox."),
    };
}
