import type { HttpResponseInit } from "@azure/functions";
import type { CallbackOutcome } from "../services/authorization-service.js";

/** DESIGN §6: nothing external, no script, nothing cached or leaked through the Referer. */
export const RESULT_PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
};

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element content and quoted attributes. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);

/** The page the admin's browser lands on after the provider redirects back. */
export function renderCallbackPage(outcome: CallbackOutcome): HttpResponseInit {
  const connected = outcome.status === "completed";
  const title = connected ? "Connected" : outcome.state_valid ? "Not connected" : "This link is no longer valid";
  const status = outcome.status === undefined ? "" : `<p>Status: <strong>${escapeHtml(outcome.status)}</strong></p>`;
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${escapeHtml(outcome.connection_name)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}h1{font-size:1.5rem}.ok{color:#1a7f37}.bad{color:#cf222e}</style>
</head>
<body>
<h1 class="${connected ? "ok" : "bad"}">${escapeHtml(title)}</h1>
<p>Connection <strong>${escapeHtml(outcome.connection_name)}</strong></p>
${status}
<p>${escapeHtml(outcome.message)}</p>
<p>You can close this window.</p>
</body>
</html>
`;
  return { status: outcome.state_valid ? 200 : 400, headers: RESULT_PAGE_HEADERS, body };
}

/** With OAUTH_RETURN_URL set: back to the admin's own app, with the outcome in the query. */
export function redirectToReturnUrl(returnUrl: string, outcome: CallbackOutcome): HttpResponseInit {
  const url = new URL(returnUrl);
  url.searchParams.set("connection", outcome.connection_name);
  url.searchParams.set("status", outcome.status ?? "invalid_state");
  return { status: 302, headers: { Location: url.toString(), "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } };
}
