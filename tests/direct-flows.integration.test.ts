import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationCodeBody, callbackUri, connectThroughBrowser } from "./support/connect-flow.js";
import { createTestApp, type TestApp } from "./support/test-app.js";
import { BASIC_CLIENT, POST_CLIENT, startTestAuthorizationServer, type TestAuthorizationServer } from "./support/test-authorization-server.js";

describe("client_credentials and refresh_token connections get their first token at creation", () => {
  let server: TestAuthorizationServer;
  let app: TestApp;

  beforeAll(async () => {
    server = await startTestAuthorizationServer({ redirectUris: [callbackUri("seed")] });
    app = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true" }, httpDispatcher: new Agent() });
    app.watch(POST_CLIENT.clientSecret!);
    app.watch(BASIC_CLIENT.clientSecret!);
  });
  afterAll(async () => {
    expect(app.leaks()).toEqual([]);
    await server.close();
  });

  const tokensOf = async (name: string) => {
    const ref = await app.services.tables.config.getEntity<{ value: string }>("GLOBAL", `config:oauth_${name}_tokens`);
    const tokens = JSON.parse((await app.services.secrets.get(ref.value))!);
    app.watch(tokens.access_token);
    if (tokens.refresh_token) app.watch(tokens.refresh_token);
    return tokens;
  };
  const clientCredentials = (name: string, secret: string, extra: Record<string, unknown> = {}) => ({
    connection_name: name,
    oauth_flow_type: "client_credentials",
    client_id: POST_CLIENT.clientId,
    client_secret: secret,
    token_auth_method: "client_secret_post",
    token_url: server.tokenEndpoint,
    scopes: "api:read",
    ...extra,
  });

  it("creates a client_credentials connection as completed, with a token the provider accepts", async () => {
    const created = await app.call("POST", "/api/oauth/connections", { body: clientCredentials("machine", POST_CLIENT.clientSecret!) });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: "completed", refresh_token_set: false });
    expect(created.json.token_expires_at).not.toBeNull();
    const tokens = await tokensOf("machine");
    const introspection = await fetch(server.introspectionEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.access_token, client_id: POST_CLIENT.clientId, client_secret: POST_CLIENT.clientSecret! }),
    });
    expect(await introspection.json()).toMatchObject({ active: true, client_id: "post-client", scope: "api:read" });
    expect(server.tokenRequests.at(-1)).toMatchObject({ grantType: "client_credentials", authMethod: "client_secret_post" });
    const initial = (await app.services.audit.list("GLOBAL", "machine", 10)).find((event) => event.event_type === "initial_token");
    expect(initial?.details).toMatchObject({ exchange_success: true, final_status: "completed" });
  });

  it("creates a client_credentials connection with a wrong secret as failed, saying why", async () => {
    const wrong = app.secret("wrong-secret");
    const created = await app.call("POST", "/api/oauth/connections", { body: clientCredentials("wrong-secret", wrong) });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe("failed");
    expect(created.json.status_message).toContain("invalid_client");
    expect(created.json.status_message).toContain("Check the client ID, the client secret");
    expect(created.text).not.toContain(wrong);
  });

  it("exchanges a supplied refresh token at once and stores the rotated one", async () => {
    await app.call("POST", "/api/oauth/connections", { body: authorizationCodeBody(server, BASIC_CLIENT, "seed") });
    await connectThroughBrowser(app, "seed");
    const seed = await tokensOf("seed");

    const created = await app.call("POST", "/api/oauth/connections", {
      body: { connection_name: "imported", oauth_flow_type: "refresh_token", client_id: BASIC_CLIENT.clientId, client_secret: BASIC_CLIENT.clientSecret, token_url: server.tokenEndpoint, refresh_token: seed.refresh_token, test_url: server.userinfoEndpoint },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: "completed", refresh_token_set: true });
    const imported = await tokensOf("imported");
    expect(imported.refresh_token).not.toBe(seed.refresh_token);
    expect(server.tokenRequests.at(-1)).toMatchObject({ grantType: "refresh_token", status: 200 });
    const me = await fetch(server.userinfoEndpoint, { headers: { authorization: `Bearer ${imported.access_token}` } });
    expect(me.status).toBe(200);
  });

  it("creates a refresh_token connection with a dead refresh token as failed: reconnect needed", async () => {
    const dead = app.secret("dead-refresh-token");
    const created = await app.call("POST", "/api/oauth/connections", {
      body: { connection_name: "dead", oauth_flow_type: "refresh_token", client_id: BASIC_CLIENT.clientId, client_secret: BASIC_CLIENT.clientSecret, token_url: server.tokenEndpoint, refresh_token: dead },
    });
    expect(created.json.status).toBe("failed");
    expect(created.json.status_message).toContain("invalid_grant");
    expect(created.json.status_message).toContain("Reconnect");
  });
});
