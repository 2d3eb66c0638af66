import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationCodeBody, callbackUri, connectThroughBrowser } from "./support/connect-flow.js";
import { createTestApp, type TestApp } from "./support/test-app.js";
import { startTestAuthorizationServer, type TestAuthorizationServer, type TestClient } from "./support/test-authorization-server.js";

/** A client the provider gives no refresh token: its connection works until the token expires, then needs a reconnect. */
const NO_REFRESH_CLIENT: TestClient = { clientId: "no-refresh", clientSecret: "no-refresh-secret", tokenEndpointAuthMethod: "client_secret_basic", grantTypes: ["authorization_code"] };

describe("connections the timer cannot refresh", () => {
  let server: TestAuthorizationServer;
  let app: TestApp;

  beforeAll(async () => {
    server = await startTestAuthorizationServer({ redirectUris: [callbackUri("one-shot")], clients: [NO_REFRESH_CLIENT], accessTokenTtlSeconds: 600 });
    app = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true" }, httpDispatcher: new Agent() });
    app.watch(NO_REFRESH_CLIENT.clientSecret!);
    await app.call("POST", "/api/oauth/connections", { body: authorizationCodeBody(server, NO_REFRESH_CLIENT, "one-shot", { scopes: "openid api:read" }) });
    await connectThroughBrowser(app, "one-shot");
  });
  afterAll(async () => {
    expect(app.leaks()).toEqual([]);
    await server.close();
  });

  it("skips and counts a completed connection without a refresh token, and the manual refresh says to reconnect", async () => {
    const detail = (await app.call("GET", "/api/oauth/connections/one-shot")).json;
    expect(detail).toMatchObject({ status: "completed", refresh_token_set: false });
    await app.dispatcher.runTimer("oauthRefreshTimer");
    const run = (await app.call("GET", "/api/oauth/refresh/status")).json.last_run;
    expect(run).toMatchObject({ checked: 1, refreshed: 0, failed: 0, skipped: 1 });
    const manual = await app.call("POST", "/api/oauth/connections/one-shot/refresh");
    expect(manual.status).toBe(400);
    expect(manual.json.error).toBe("not_refreshable");
  });
});
