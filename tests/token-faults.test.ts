import { MockAgent } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/test-app.js";

/** Faults a real provider rarely produces on demand, injected with undici's MockAgent. */
describe("token endpoint faults", () => {
  const ORIGIN = "https://idp.faults.example";
  let agent: MockAgent;
  let app: TestApp;
  let sleeps: number[];
  let counter = 0;

  beforeAll(async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    sleeps = [];
    app = await createTestApp({ httpDispatcher: agent, providerTimeoutMs: 50, sleep: async (ms) => void sleeps.push(ms) });
  });
  beforeEach(() => {
    sleeps.length = 0;
  });
  afterAll(() => {
    expect(app.leaks()).toEqual([]);
  });

  const token = () => app.secret("access-token");
  const tokenEndpoint = () => agent.get(ORIGIN).intercept({ path: "/token", method: "POST" });
  const createMachine = async () => {
    const name = `machine-${++counter}`;
    const response = await app.call("POST", "/api/oauth/connections", {
      body: { connection_name: name, oauth_flow_type: "client_credentials", client_id: "c", client_secret: app.secret("client-secret"), token_url: `${ORIGIN}/token`, scopes: "api" },
    });
    expect(response.status).toBe(201);
    return response.json;
  };
  const json = { headers: { "content-type": "application/json" } };

  it("retries a 500 and then succeeds", async () => {
    tokenEndpoint().reply(500, "oops");
    tokenEndpoint().reply(200, { access_token: token(), token_type: "Bearer", expires_in: 3600 }, json);
    expect((await createMachine()).status).toBe("completed");
    expect(sleeps).toHaveLength(1);
  });

  it("waits as long as Retry-After says on a 429", async () => {
    tokenEndpoint().reply(429, "slow down", { headers: { "retry-after": "7" } });
    tokenEndpoint().reply(200, { access_token: token(), token_type: "Bearer", expires_in: 3600 }, json);
    expect((await createMachine()).status).toBe("completed");
    expect(sleeps).toEqual([7000]);
  });

  it("fails with a timeout reason when the provider does not answer, without resending the grant", async () => {
    tokenEndpoint().reply(200, { access_token: token(), token_type: "Bearer" }, json).delay(500);
    const created = await createMachine();
    expect(created.status).toBe("failed");
    expect(created.status_message).toContain("within 50 ms");
    expect(sleeps).toEqual([]);
  });

  it("fails, as transient, on an HTML page instead of JSON", async () => {
    tokenEndpoint().reply(200, "<html><body>Login</body></html>", { headers: { "content-type": "text/html" } });
    const created = await createMachine();
    expect(created.status).toBe("failed");
    expect(created.status_message).toContain("invalid_response");
    expect(created.status_message).not.toContain("<html>");
  });

  it("reads an error delivered with HTTP 200", async () => {
    tokenEndpoint().reply(200, { error: "invalid_client", error_description: "bad secret" }, json);
    const created = await createMachine();
    expect(created.status).toBe("failed");
    expect(created.status_message).toContain("invalid_client");
    expect(created.status_message).toContain("bad secret");
  });

  it("accepts a form-encoded success", async () => {
    tokenEndpoint().reply(200, `access_token=${token()}&token_type=bearer&expires_in=600&scope=api`, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const created = await createMachine();
    expect(created.status).toBe("completed");
    expect(Date.parse(created.token_expires_at) - app.clock.now().getTime()).toBe(600_000);
  });

  it("accepts a missing token_type as Bearer and a string expires_in", async () => {
    tokenEndpoint().reply(200, { access_token: token(), expires_in: "1800" }, json);
    const created = await createMachine();
    expect(created.status).toBe("completed");
    expect(Date.parse(created.token_expires_at) - app.clock.now().getTime()).toBe(1_800_000);
    const tokensRef = await app.services.tables.config.getEntity<{ value: string }>("GLOBAL", `config:oauth_${created.connection_name}_tokens`);
    expect(JSON.parse((await app.services.secrets.get(tokensRef.value))!).token_type).toBe("Bearer");
  });

  it("gives a token without expires_in the default lifetime of one hour", async () => {
    tokenEndpoint().reply(200, { access_token: token(), token_type: "bearer" }, json);
    const created = await createMachine();
    expect(Date.parse(created.token_expires_at) - app.clock.now().getTime()).toBe(3_600_000);
  });

  it("sends token_params and the scopes with the client credentials grant", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/token", method: "POST", body: (body: string) => new URLSearchParams(body).get("audience") === "https://api.example" && new URLSearchParams(body).get("scope") === "api" })
      .reply(200, { access_token: token(), token_type: "Bearer", expires_in: 60 }, json);
    const created = await app.call("POST", "/api/oauth/connections", {
      body: { connection_name: "with-params", oauth_flow_type: "client_credentials", client_id: "c", client_secret: app.secret("s"), token_url: `${ORIGIN}/token`, scopes: "api", token_params: { audience: "https://api.example" } },
    });
    expect(created.json.status).toBe("completed");
  });

  it("keeps the stored refresh token when a refresh answer has none (RFC 6749 §6)", async () => {
    const refreshToken = app.secret("long-lived-refresh-token");
    const sentRefreshToken = (body: string) => new URLSearchParams(body).get("refresh_token") === refreshToken;
    agent.get(ORIGIN).intercept({ path: "/token", method: "POST", body: sentRefreshToken }).reply(200, { access_token: token(), token_type: "Bearer", expires_in: 60 }, json);
    const created = await app.call("POST", "/api/oauth/connections", {
      body: { connection_name: "keeps-refresh", oauth_flow_type: "refresh_token", client_id: "c", refresh_token: refreshToken, token_url: `${ORIGIN}/token` },
    });
    expect(created.json).toMatchObject({ status: "completed", refresh_token_set: true });
    agent.get(ORIGIN).intercept({ path: "/token", method: "POST", body: sentRefreshToken }).reply(200, { access_token: token(), token_type: "Bearer", expires_in: 60 }, json);
    const forced = await app.call("POST", "/api/oauth/connections/keeps-refresh/refresh");
    expect(forced.status).toBe(200);
    agent.assertNoPendingInterceptors();
  });

  it("does not retry invalid_grant and says to reconnect", async () => {
    tokenEndpoint().reply(400, { error: "invalid_grant", error_description: "refresh token expired" }, json);
    const created = await app.call("POST", "/api/oauth/connections", {
      body: { connection_name: "stale", oauth_flow_type: "refresh_token", client_id: "c", refresh_token: app.secret("refresh-token"), token_url: `${ORIGIN}/token` },
    });
    expect(created.json.status).toBe("failed");
    expect(created.json.status_message).toMatch(/invalid_grant.*Reconnect the connection/);
    expect(sleeps).toEqual([]);
  });

  it("gives up after three retries of a 503 and keeps the reason", async () => {
    for (let i = 0; i < 4; i++) tokenEndpoint().reply(503, "unavailable");
    const created = await createMachine();
    expect(created.status).toBe("failed");
    expect(created.status_message).toContain("503");
    expect(sleeps).toHaveLength(3);
  });
});
