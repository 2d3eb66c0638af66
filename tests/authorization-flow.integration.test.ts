import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizeInBrowser } from "./support/browser-login.js";
import { authorizationCodeBody, CALLBACK_PREFIX, callbackUri, connectThroughBrowser, deliverLanding, startAuthorization } from "./support/connect-flow.js";
import { createTestApp, type TestApp } from "./support/test-app.js";
import { BASIC_CLIENT, POST_CLIENT, startTestAuthorizationServer, type TestAuthorizationServer } from "./support/test-authorization-server.js";

const NAMES = ["basic", "post", "formpost", "denied", "expiring", "replayed", "cross-a", "cross-b", "scripted", "cancelled", "no-pkce", "org-flow", "tested"];

describe("the authorization-code flow against a real authorization server", () => {
  let server: TestAuthorizationServer;
  let app: TestApp;

  beforeAll(async () => {
    server = await startTestAuthorizationServer({ redirectUris: NAMES.map(callbackUri), accessTokenTtlSeconds: 300 });
    app = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true" }, httpDispatcher: new Agent() });
    app.watch(BASIC_CLIENT.clientSecret!);
    app.watch(POST_CLIENT.clientSecret!);
  });
  afterAll(async () => {
    expect(app.leaks()).toEqual([]);
    await server.close();
  });

  const create = async (name: string, client = BASIC_CLIENT, extra: Record<string, unknown> = {}, org?: string) => {
    const created = await app.call("POST", "/api/oauth/connections", { body: authorizationCodeBody(server, client, name, extra), ...(org ? { org } : {}) });
    expect(created.status).toBe(201);
    return created.json;
  };
  const detail = async (name: string, org?: string) => (await app.call("GET", `/api/oauth/connections/${name}`, org ? { org } : {})).json;
  const storedTokens = async (name: string, org = "GLOBAL") => {
    const ref = await app.services.tables.config.getEntity<{ value: string }>(org, `config:oauth_${name}_tokens`);
    const tokens = JSON.parse((await app.services.secrets.get(ref.value))!);
    app.watch(tokens.access_token);
    if (tokens.refresh_token) app.watch(tokens.refresh_token);
    return tokens;
  };

  it("connects with client_secret_basic and PKCE: not_connected → waiting_callback → completed, tokens stored and working", async () => {
    expect((await create("basic")).status).toBe("not_connected");
    const { authorization_url } = await startAuthorization(app, "basic");
    expect((await detail("basic")).status).toBe("waiting_callback");
    const landing = await authorizeInBrowser(authorization_url, { stopAt: CALLBACK_PREFIX });
    const page = await deliverLanding(app, landing);

    expect(page.status).toBe(200);
    expect(page.text).toContain("Connected");
    const connection = await detail("basic");
    expect(connection).toMatchObject({ status: "completed", refresh_token_set: true });
    expect(connection.last_test_at).not.toBeNull();
    expect(Date.parse(connection.token_expires_at)).toBeGreaterThan(Date.now());

    const tokens = await storedTokens("basic");
    expect(tokens).toMatchObject({ token_type: "Bearer", scopes: expect.arrayContaining(["openid", "api:read"]) });
    const me = await fetch(server.userinfoEndpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: "alice" });

    const authRequest = server.authorizationRequests.at(-1)!;
    expect(authRequest).toMatchObject({ clientId: "basic-client", hadCodeChallenge: true, codeChallengeMethod: "S256", redirectUri: callbackUri("basic") });
    const tokenRequest = server.tokenRequests.at(-1)!;
    expect(tokenRequest).toMatchObject({ grantType: "authorization_code", authMethod: "client_secret_basic", hadCodeVerifier: true, hadRedirectUri: callbackUri("basic"), status: 200 });
  });

  it("uses client_secret_post at the token endpoint when configured", async () => {
    await create("post", POST_CLIENT);
    const { page } = await connectThroughBrowser(app, "post");
    expect(page.status).toBe(200);
    expect((await detail("post")).status).toBe("completed");
    expect(server.tokenRequests.at(-1)).toMatchObject({ clientId: "post-client", authMethod: "client_secret_post" });
  });

  it("accepts the callback as a form_post (POST, form-encoded)", async () => {
    await create("formpost", BASIC_CLIENT, { authorization_params: { response_mode: "form_post", ui_locales: "de" } });
    const { landing, page } = await connectThroughBrowser(app, "formpost");
    expect(landing.method).toBe("POST");
    expect(server.authorizationRequests.at(-1)).toMatchObject({ responseMode: "form_post", extraParams: { ui_locales: "de" } });
    expect(page.status).toBe(200);
    expect((await detail("formpost")).status).toBe("completed");
  });

  it("records the user's refusal as failed with the provider's reason", async () => {
    await create("denied");
    const { page } = await connectThroughBrowser(app, "denied", { decision: "deny" });
    expect(page.status).toBe(200);
    expect(page.text).toContain("access_denied");
    const connection = await detail("denied");
    expect(connection.status).toBe("failed");
    expect(connection.status_message).toContain("access_denied");
  });

  it("refuses an unknown state with a 400 page and touches nothing", async () => {
    const before = await detail("basic");
    const page = await app.call("GET", "/api/oauth/callback/basic?code=abc&state=never-issued", { key: null });
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await detail("basic")).toEqual(before);
    expect((await app.call("GET", "/api/oauth/callback/basic?code=abc", { key: null })).status).toBe(400);
  });

  it("refuses an expired state", async () => {
    await create("expiring");
    const { authorization_url } = await startAuthorization(app, "expiring");
    const landing = await authorizeInBrowser(authorization_url, { stopAt: CALLBACK_PREFIX });
    app.clock.advance(16 * 60 * 1000);
    const page = await deliverLanding(app, landing);
    expect(page.status).toBe(400);
    expect(page.text).toContain("expired");
    expect((await detail("expiring")).status).toBe("waiting_callback");
  });

  it("refuses a replayed state, even when two callbacks race", async () => {
    await create("replayed");
    const { authorization_url } = await startAuthorization(app, "replayed");
    const landing = await authorizeInBrowser(authorization_url, { stopAt: CALLBACK_PREFIX });
    const [first, second] = await Promise.all([deliverLanding(app, landing), deliverLanding(app, landing)]);
    expect([first.status, second.status].sort()).toEqual([200, 400]);
    expect((await detail("replayed")).status).toBe("completed");
    expect((await deliverLanding(app, landing)).status).toBe(400);
    expect(server.tokenRequests.filter((r) => r.grantType === "authorization_code" && r.hadRedirectUri === callbackUri("replayed"))).toHaveLength(1);
  });

  it("refuses a state issued for another connection, which still works where it belongs", async () => {
    await create("cross-a");
    await create("cross-b");
    const { authorization_url } = await startAuthorization(app, "cross-a");
    const landing = await authorizeInBrowser(authorization_url, { stopAt: CALLBACK_PREFIX });
    const stolen = landing.url.replace("/callback/cross-a", "/callback/cross-b");
    const before = await detail("cross-b");
    expect((await deliverLanding(app, { method: "GET", url: stolen })).status).toBe(400);
    expect(await detail("cross-b")).toEqual(before);
    expect((await deliverLanding(app, landing)).status).toBe(200);
    expect((await detail("cross-a")).status).toBe("completed");
  });

  it("shows a provider's error_description escaped, with the page's security headers", async () => {
    await create("scripted");
    const { state } = await startAuthorization(app, "scripted");
    const query = new URLSearchParams({ state, error: "access_denied", error_description: "<script>alert(1)</script>", iss: server.issuer });
    const page = await app.call("GET", `/api/oauth/callback/scripted?${query}`, { key: null });
    expect(page.text).not.toContain("<script>");
    expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect((await detail("scripted")).status).toBe("failed");
  });

  it("refuses a callback whose iss is not the connection's issuer (RFC 9207)", async () => {
    const { state } = await startAuthorization(app, "scripted");
    const page = await app.call("GET", `/api/oauth/callback/scripted?${new URLSearchParams({ state, code: "x", iss: "https://evil.example" })}`, { key: null });
    expect(page.text).toContain("not acceptable");
    expect((await detail("scripted")).status).toBe("failed");
  });

  it("cancels a pending authorization: the state stops working and the status goes back", async () => {
    await create("cancelled");
    const { authorization_url } = await startAuthorization(app, "cancelled");
    const landing = await authorizeInBrowser(authorization_url, { stopAt: CALLBACK_PREFIX });
    const cancelled = await app.call("POST", "/api/oauth/connections/cancelled/cancel");
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe("not_connected");
    expect((await deliverLanding(app, landing)).status).toBe(400);
    expect((await detail("cancelled")).status).toBe("not_connected");
  });

  it("refuses to authorize a client_credentials connection with 400, and an unknown one with 404", async () => {
    const cc = await app.call("POST", "/api/oauth/connections", {
      body: { connection_name: "machine", oauth_flow_type: "client_credentials", client_id: POST_CLIENT.clientId, client_secret: POST_CLIENT.clientSecret, token_auth_method: "client_secret_post", token_url: server.tokenEndpoint, scopes: "api:read" },
    });
    expect(cc.status).toBe(201);
    const refused = await app.call("POST", "/api/oauth/connections/machine/authorize");
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe("authorization_not_applicable");
    expect((await app.call("POST", "/api/oauth/connections/nope/authorize")).status).toBe(404);
  });

  it("connects a connection of an org, bound to that org: a same-named one elsewhere is untouched", async () => {
    await create("org-flow", BASIC_CLIENT, {}, "acme");
    await create("org-flow", BASIC_CLIENT, {}, "globex");
    const globexBefore = await detail("org-flow", "globex");
    const { page } = await connectThroughBrowser(app, "org-flow", { org: "acme" });
    expect(page.status).toBe(200);
    expect((await detail("org-flow", "acme")).status).toBe("completed");
    expect(await detail("org-flow", "globex")).toEqual(globexBefore);
    await storedTokens("org-flow", "acme");
  });

  it("re-tests a connection and records last_test_at", async () => {
    await create("tested");
    await connectThroughBrowser(app, "tested");
    app.clock.advance(60_000);
    const tested = await app.call("POST", "/api/oauth/connections/tested/test");
    expect(tested.status).toBe(200);
    expect(tested.json).toMatchObject({ test_result: "success", tested_at: app.clock.now().toISOString() });
    expect((await detail("tested")).last_test_at).toBe(app.clock.now().toISOString());
  });

  it("writes a callback audit event with the outcome and never a code, token or secret", async () => {
    const events = await app.services.audit.list("GLOBAL", "basic", 20);
    const callback = events.find((event) => event.event_type === "callback")!;
    expect(callback.details).toMatchObject({ state_valid: true, exchange_success: true, test_result: "success", final_status: "completed" });
    expect(callback.details.processing_duration_ms).toEqual(expect.any(Number));
    const rows: string[] = [];
    for await (const row of app.services.tables.auditEvents.listEntities()) rows.push(JSON.stringify(row));
    const invalid = rows.filter((row) => row.includes('"state_valid\\":false'));
    expect(invalid.length).toBeGreaterThan(0);
    const watched = app.leaks();
    expect(watched).toEqual([]);
    for (const tokenRequest of server.tokenRequests) expect(JSON.stringify(rows)).not.toContain(String(tokenRequest.clientId) + "-secret");
  });
});

describe("PKCE off for a provider that does not require it", () => {
  it("connects with use_pkce:false where PKCE is optional, and fails clearly where it is required", async () => {
    const names = ["no-pkce"];
    const lenient = await startTestAuthorizationServer({ requirePkce: false, redirectUris: names.map(callbackUri) });
    const strict = await startTestAuthorizationServer({ requirePkce: true, redirectUris: ["strict"].map(callbackUri) });
    const app = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true" }, httpDispatcher: new Agent() });
    try {
      await app.call("POST", "/api/oauth/connections", { body: authorizationCodeBody(lenient, BASIC_CLIENT, "no-pkce", { use_pkce: false }) });
      const { page } = await connectThroughBrowser(app, "no-pkce");
      expect(page.status).toBe(200);
      expect((await app.call("GET", "/api/oauth/connections/no-pkce")).json.status).toBe("completed");
      expect(lenient.authorizationRequests.at(-1)!.hadCodeChallenge).toBe(false);
      expect(lenient.tokenRequests.at(-1)!.hadCodeVerifier).toBe(false);

      await app.call("POST", "/api/oauth/connections", { body: authorizationCodeBody(strict, BASIC_CLIENT, "strict", { use_pkce: false }) });
      const refused = await connectThroughBrowser(app, "strict");
      expect(refused.page.text).toContain("invalid_request");
      expect((await app.call("GET", "/api/oauth/connections/strict")).json.status).toBe("failed");
      expect(app.leaks()).toEqual([]);
    } finally {
      await lenient.close();
      await strict.close();
    }
  });
});

describe("OAUTH_RETURN_URL", () => {
  it("redirects the browser there with the connection and its status instead of showing the page", async () => {
    const server = await startTestAuthorizationServer({ redirectUris: [callbackUri("returning")] });
    const app = await createTestApp({
      env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true", OAUTH_RETURN_URL: "https://admin.example.test/connections?tab=oauth" },
      httpDispatcher: new Agent(),
    });
    try {
      await app.call("POST", "/api/oauth/connections", { body: authorizationCodeBody(server, BASIC_CLIENT, "returning") });
      const { page } = await connectThroughBrowser(app, "returning");
      expect(page.status).toBe(302);
      const location = new URL(page.headers.get("location")!);
      expect(location.origin + location.pathname).toBe("https://admin.example.test/connections");
      expect(Object.fromEntries(location.searchParams)).toEqual({ tab: "oauth", connection: "returning", status: "completed" });
      const invalid = await app.call("GET", "/api/oauth/callback/returning?state=unknown&code=x", { key: null });
      expect(new URL(invalid.headers.get("location")!).searchParams.get("status")).toBe("invalid_state");
    } finally {
      await server.close();
    }
  });
});
