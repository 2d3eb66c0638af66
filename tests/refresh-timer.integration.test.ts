import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { Agent, MockAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationCodeBody, callbackUri, connectThroughBrowser } from "./support/connect-flow.js";
import { createTestApp, type TestApp } from "./support/test-app.js";
import { BASIC_CLIENT, POST_CLIENT, startTestAuthorizationServer, type TestAuthorizationServer } from "./support/test-authorization-server.js";

const TTL_SECONDS = 600;
const CONCURRENCY = 6;
const BROWSER_NAMES = Array.from({ length: 24 }, (_, i) => `user-${i}`);

/** Gate for POST /token: tests hold token requests to act while refreshes are in flight. */
class Gate {
  #open = true;
  #waiters: Array<() => void> = [];
  close() {
    this.#open = false;
  }
  open() {
    this.#open = true;
    this.#waiters.splice(0).forEach((release) => release());
  }
  /** How many token requests are held at the gate right now. */
  get waiting(): number {
    return this.#waiters.length;
  }
  pass(): Promise<void> {
    return this.#open ? Promise.resolve() : new Promise((release) => this.#waiters.push(release));
  }
}

describe("the scheduled refresh", () => {
  let server: TestAuthorizationServer;
  let app: TestApp;
  let agent: MockAgent;
  const gate = new Gate();
  let latencyMs = 0;
  const env = {
    OAUTH_ALLOW_INSECURE_LOOPBACK: "true",
    OAUTH_REFRESH_WINDOW_MINUTES: "5",
    OAUTH_REFRESH_CONCURRENCY: String(CONCURRENCY),
    LOCAL_SECRET_KEY: randomBytes(32).toString("base64"),
  };

  beforeAll(async () => {
    server = await startTestAuthorizationServer({
      redirectUris: BROWSER_NAMES.map(callbackUri),
      accessTokenTtlSeconds: TTL_SECONDS,
      rotateRefreshTokens: true,
      beforeToken: async () => {
        if (latencyMs > 0) await delay(latencyMs);
        await gate.pass();
      },
    });
    agent = new MockAgent({ agent: new Agent() });
    agent.enableNetConnect();
    app = await createTestApp({ env, httpDispatcher: agent });
    app.watch(BASIC_CLIENT.clientSecret!);
    app.watch(POST_CLIENT.clientSecret!);
    for (const name of BROWSER_NAMES) {
      await app.call("POST", "/api/oauth/connections", { org: `org-${name.length % 3}`, body: authorizationCodeBody(server, BASIC_CLIENT, name) });
      await connectThroughBrowser(app, name, { org: `org-${name.length % 3}` });
    }
  }, 120_000);
  afterAll(async () => {
    expect(app.leaks()).toEqual([]);
    await server.close();
  });

  const runTimer = async () => {
    await app.dispatcher.runTimer("oauthRefreshTimer");
    return (await app.call("GET", "/api/oauth/refresh/status")).json;
  };
  const grants = (type: string) => server.tokenRequests.filter((request) => request.grantType === type);
  const allConnections = async () => {
    const rows: Array<Record<string, unknown>> = [];
    for await (const row of app.services.tables.connections.listEntities()) rows.push(row);
    return rows;
  };
  /** Puts our clock `secondsLeft` before the earliest stored expiry. */
  const approachExpiry = async (secondsLeft: number) => {
    const expiries = (await allConnections()).filter((row) => row.status === "completed").map((row) => Date.parse(row.token_expires_at as string));
    app.clock.set(new Date(Math.min(...expiries) - secondsLeft * 1000));
  };

  it("checks nothing while every token is outside the window, and says when it runs next", async () => {
    const status = await runTimer();
    expect(status.last_run).toMatchObject({ trigger: "timer", checked: 0, refreshed: 0, failed: 0, skipped: 0 });
    expect(Date.parse(status.next_run_at)).toBeGreaterThan(app.clock.now().getTime());
    expect(status.schedule).toBe("0 */30 * * * *");
  });

  it("refreshes 100 expiring connections in one run with exact counts, never more than the concurrency at once", async () => {
    for (let i = 0; i < 76; i++) {
      const created = await app.call("POST", "/api/oauth/connections", {
        org: `tenant-${i % 5}`,
        body: { connection_name: `machine-${i}`, oauth_flow_type: "client_credentials", client_id: POST_CLIENT.clientId, client_secret: POST_CLIENT.clientSecret, token_auth_method: "client_secret_post", token_url: server.tokenEndpoint, scopes: "api:read" },
      });
      expect(created.json.status).toBe("completed");
    }
    await approachExpiry(120);
    latencyMs = 50;
    const peakBefore = server.peakConcurrentTokenRequests();
    const before = { refresh: grants("refresh_token").length, cc: grants("client_credentials").length };
    const status = await runTimer();
    latencyMs = 0;
    expect(status.last_run).toMatchObject({ checked: 100, refreshed: 100, failed: 0, skipped: 0 });
    expect(grants("refresh_token").length - before.refresh).toBe(24);
    expect(grants("client_credentials").length - before.cc).toBe(76);
    expect(grants("refresh_token").every((request) => request.status === 200)).toBe(true);
    expect(server.peakConcurrentTokenRequests()).toBeLessThanOrEqual(Math.max(CONCURRENCY, peakBefore));
    expect(server.peakConcurrentTokenRequests()).toBeGreaterThan(1);
    for (const row of await allConnections()) expect(row).toMatchObject({ status: "completed" });
  });

  it("shares each refresh with reads racing the run: one provider refresh per connection, every grant alive", async () => {
    await approachExpiry(120);
    const before = grants("refresh_token").length;
    const key = await app.issueKey("workflow", "GLOBAL", "racer");
    const reads = BROWSER_NAMES.slice(0, 20).map((name) =>
      app.call("GET", `/api/oauth/credentials/${name}`, { key, org: `org-${name.length % 3}` }).then((response) => {
        if (response.json?.access_token) app.watch(response.json.access_token);
        return response.status;
      }),
    );
    const [status, ...statuses] = await Promise.all([runTimer(), ...reads]);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(status.last_run.failed).toBe(0);
    expect(grants("refresh_token").length - before).toBe(24);
    for (const name of BROWSER_NAMES) {
      const forced = await app.call("POST", `/api/oauth/connections/${name}/refresh`, { org: `org-${name.length % 3}` });
      expect(forced.status).toBe(200);
    }
    expect(grants("refresh_token").every((request) => request.status === 200)).toBe(true);
  });

  it("keeps connections completed through a provider outage, and refreshes them after it", async () => {
    await approachExpiry(120);
    const origin = new URL(server.tokenEndpoint).origin;
    agent.get(origin).intercept({ path: "/token", method: "POST" }).reply(503, "down").times(100 * 4);
    const during = await runTimer();
    expect(during.last_run).toMatchObject({ checked: 100, refreshed: 0, failed: 100 });
    for (const row of await allConnections()) {
      expect(row.status).toBe("completed");
      expect(row.refresh_failures).toBe(1);
    }
    agent.assertNoPendingInterceptors();
    // Within the backoff nothing is tried; after it, the recovered provider refreshes everything.
    expect((await runTimer()).last_run).toMatchObject({ checked: 100, refreshed: 0, failed: 0, skipped: 100 });
    app.clock.advance(61_000);
    expect((await runTimer()).last_run).toMatchObject({ checked: 100, refreshed: 100, failed: 0 });
    for (const row of await allConnections()) expect(row.refresh_failures).toBeUndefined();
  });

  it("fails only the connection whose refresh token the provider rejects, telling the admin to reconnect", async () => {
    const org = `org-${"user-0".length % 3}`;
    const row = await app.services.tables.connections.getEntity<Record<string, string>>(org, "user-0");
    const bogus = app.secret("revoked-refresh-token");
    await app.services.secrets.set(row.tokens_secret_name!, JSON.stringify({ access_token: "x", refresh_token: bogus, token_type: "Bearer", expires_at: row.token_expires_at }));
    await app.services.tables.connections.updateEntity({ partitionKey: org, rowKey: "user-0", tokens_version: "tampered" }, "Merge");
    await approachExpiry(120);
    const status = await runTimer();
    expect(status.last_run).toMatchObject({ checked: 100, refreshed: 99, failed: 1 });
    const failed = (await allConnections()).filter((connection) => connection.status === "failed");
    expect(failed.map((connection) => connection.RowKey ?? connection.rowKey)).toEqual(["user-0"]);
    expect(failed[0]!.status_message).toContain("invalid_grant");
    expect(failed[0]!.status_message).toContain("Reconnect the connection");
  });

  it("does not bring back a connection deleted while its refresh is in flight", async () => {
    await approachExpiry(120);
    gate.close();
    const run = runTimer();
    // Every refresh of the run is now at the provider, waiting for an answer.
    await expect.poll(() => gate.waiting).toBe(CONCURRENCY);
    const row = await app.services.tables.connections.getEntity<Record<string, string>>("tenant-0", "machine-0");
    await app.services.tables.connections.deleteEntity("tenant-0", "machine-0");
    await app.services.secrets.delete(row.tokens_secret_name!);
    gate.open();
    await run;
    await expect(app.services.tables.connections.getEntity("tenant-0", "machine-0")).rejects.toMatchObject({ statusCode: 404 });
    expect(await app.services.secrets.get(row.tokens_secret_name!)).toBeUndefined();
  });

  it("leaves nothing locked past its lease and loses no token when a run dies midway; the next run completes the rest", async () => {
    await approachExpiry(120);
    // An instance whose token requests never come back stands in for a process killed mid-run:
    // it holds leases and never writes again.
    const hanging = new MockAgent();
    hanging.disableNetConnect();
    hanging.get(new URL(server.tokenEndpoint).origin).intercept({ path: "/token", method: "POST" }).reply(200, "{}").delay(2_000_000_000).persist();
    const dead = await createTestApp({ env, httpDispatcher: hanging, tablePrefix: app.tablePrefix });
    dead.clock.set(app.clock.now());
    void dead.dispatcher.runTimer("oauthRefreshTimer");
    await expect.poll(async () => (await allConnections()).filter((row) => row.lease_owner !== undefined).length).toBe(CONCURRENCY);
    const leased = (await allConnections()).filter((row) => row.lease_owner !== undefined);
    for (const row of leased) expect(Date.parse(row.lease_expires_at as string) - dead.clock.now().getTime()).toBeLessThanOrEqual(60_000);
    const before = grants("refresh_token").length + grants("client_credentials").length;

    const second = await createTestApp({ env, httpDispatcher: agent, tablePrefix: app.tablePrefix });
    second.clock.set(new Date(app.clock.now().getTime() + 61_000));
    await second.dispatcher.runTimer("oauthRefreshTimer");
    const run = (await second.call("GET", "/api/oauth/refresh/status")).json.last_run;
    expect(run).toMatchObject({ failed: 0, refreshed: run.checked });
    expect(grants("refresh_token").length + grants("client_credentials").length - before).toBe(run.checked);
    for (const row of await allConnections()) {
      if (row.status === "failed") continue;
      expect(row.status).toBe("completed");
      expect(Date.parse(row.token_expires_at as string)).toBeGreaterThan(second.clock.now().getTime() + 120_000);
    }
    expect(second.logLines.some((line) => line.includes("taking over an expired refresh lease"))).toBe(true);
  });
});
