import { authorizeInBrowser, type BrowserLanding } from "./browser-login.js";
import { PUBLIC_BASE_URL, type CallResult, type TestApp } from "./test-app.js";
import type { TestAuthorizationServer, TestClient } from "./test-authorization-server.js";

export const CALLBACK_PREFIX = `${PUBLIC_BASE_URL}/api/oauth/callback/`;
export const callbackUri = (name: string) => `${CALLBACK_PREFIX}${name}`;

/** A create body for an authorization_code connection at the test authorization server. */
export function authorizationCodeBody(server: TestAuthorizationServer, client: TestClient, name: string, extra: Record<string, unknown> = {}) {
  return {
    connection_name: name,
    oauth_flow_type: "authorization_code",
    client_id: client.clientId,
    client_secret: client.clientSecret,
    token_auth_method: client.tokenEndpointAuthMethod,
    authorization_url: server.authorizationEndpoint,
    token_url: server.tokenEndpoint,
    scopes: "openid offline_access api:read",
    issuer: server.issuer,
    test_url: server.userinfoEndpoint,
    ...extra,
  };
}

/** Asks our service to start authorizing, as an admin would. */
export async function startAuthorization(app: TestApp, name: string, org?: string): Promise<{ authorization_url: string; state: string }> {
  const started = await app.call("POST", `/api/oauth/connections/${name}/authorize`, org === undefined ? {} : { org });
  if (started.status !== 200) throw new Error(`authorize answered ${started.status}: ${started.text}`);
  return started.json;
}

/** Delivers the browser's landing to our callback, in-process; codes seen are added to the leak scan. */
export async function deliverLanding(app: TestApp, landing: BrowserLanding): Promise<CallResult> {
  const url = new URL(landing.url);
  const code = landing.method === "GET" ? url.searchParams.get("code") : landing.form.code;
  if (code) app.watch(code);
  if (landing.method === "GET") return app.call("GET", url.pathname + url.search, { key: null });
  return app.call("POST", url.pathname + url.search, {
    key: null,
    rawBody: new URLSearchParams(landing.form).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

/** Authorize → log in and consent at the provider → our callback. */
export async function connectThroughBrowser(app: TestApp, name: string, options: { org?: string; decision?: "approve" | "deny" } = {}) {
  const { authorization_url } = await startAuthorization(app, name, options.org);
  const landing = await authorizeInBrowser(authorization_url, { stopAt: CALLBACK_PREFIX, decision: options.decision ?? "approve" });
  return { landing, page: await deliverLanding(app, landing) };
}
