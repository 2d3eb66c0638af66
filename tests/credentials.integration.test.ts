import { Agent, MockAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationCodeBody, callbackUri, connectThroughBrowser } from "./support/connect-flow.js";
import { createTestApp, type TestApp } from "./support/test-app.js";
import { BASIC_CLIENT, startTestAuthorizationServer, type TestAuthorizationServer } from "./support/test-authorization-server.js";

const TTL_SECONDS = 600;
const NAMES = ["mail", "concurrent", "leased", "stuck", "outage", "fallback", "deps"];

describe("credentials for workflows", () => {
  let server: TestAuthorizationServer;
  let app: TestApp;
  let agent: MockAgent;
  let workflowKey: string;

  beforeAll(async () => {
    server = await startTestAuthorizationServer({ redirectUris: NAMES.map(callbackUri), accessTokenTtlSeconds: TTL_SECONDS, rotateRefreshTokens: true });
    // Real network to the provider; intercepts are added only where a test injects an outage.
    agent = new MockAgent({ agent: new Agent() });
    agent.enableNetConnect();
    app = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true", OAUTH_REFRESH_ON_READ_SECONDS: "300" }, httpDispatcher: agent });
    app.watch(BASIC_CLIENT.clientSecret!);
    workflowKey = await app.issueKey("workflow", "acme", "engine");
  });
  afterAll(async () => {
    expect(app.leaks()).toEqual([]);
    await server.close();
  });

  const refreshGrants = () => server.tokenRequests.filter((request) => request.grantType === "refresh_token");
  const connect = async (name: string, org = "acme") => {
    await app.call("POST", "/api/oauth/connections", { org, body: authorizationCodeBody(server, BASIC_CLIENT, name) });
    const { page } = await connectThroughBrowser(app, name, { org });
    expect(page.status).toBe(200);
  };
  const read = async (name: string, headers: Record<string, string> = {}, key = workflowKey) => {
    const response = await app.call("GET", `/api/oauth/credentials/${name}`, { key, headers });
    if (response.json?.access_token) app.watch(response.json.access_token);
    return response;
  };
  const works = async (accessToken: string) =>
    (await fetch(server.userinfoEndpoint, { headers: { authorization: `Bearer ${accessToken}` } })).status === 200;
  /** Moves our clock to `secondsLeft` before the stored token expires. */
  const approachExpiry = async (name: string, secondsLeft: number, org = "acme") => {
    const detail = (await app.call("GET", `/api/oauth/connections/${name}`, { org })).json;
    app.clock.set(new Date(Date.parse(detail.token_expires_at) - secondsLeft * 1000));
  };

  it("hands a workflow key the access token, never cached, without refreshing a fresh one", async () => {
    await connect("mail");
    const before = refreshGrants().length;
    const response = await read("mail");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.json).toMatchObject({ connection_name: "mail", org_id: "acme", token_type: "Bearer", scopes: expect.arrayContaining(["api:read"]) });
    expect(await works(response.json.access_token)).toBe(true);
    expect(refreshGrants().length).toBe(before);
  });

  it("refuses admin keys (403), and answers 404 for an unknown connection", async () => {
    expect((await read("mail", {}, app.adminKey)).status).toBe(403);
    const missing = await read("nothing");
    expect(missing.status).toBe(404);
    expect(missing.json.error).toBe("connection_not_found");
  });

  it("answers 503 connection_not_ready with the status for a connection that is not completed", async () => {
    await app.call("POST", "/api/oauth/connections", { org: "acme", body: authorizationCodeBody(server, BASIC_CLIENT, "pending") });
    const response = await read("pending");
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ error: "connection_not_ready", status: "not_connected" });
  });

  it("falls back to the GLOBAL connection and says so in org_id", async () => {
    await connect("fallback", "GLOBAL");
    const response = await read("fallback");
    expect(response.status).toBe(200);
    expect(response.json.org_id).toBe("GLOBAL");
    const globalWorkflow = await app.issueKey("workflow", "GLOBAL", "global-engine");
    const acting = await app.call("GET", "/api/oauth/credentials/fallback", { key: globalWorkflow, org: "acme" });
    expect(acting.json.org_id).toBe("GLOBAL");
    app.watch(acting.json.access_token);
  });

  it("refreshes exactly once for 50 concurrent reads of a token about to expire, and the grant stays alive", async () => {
    await connect("concurrent");
    await approachExpiry("concurrent", 60);
    const before = refreshGrants().length;
    const responses = await Promise.all(Array.from({ length: 50 }, () => read("concurrent")));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(refreshGrants().length - before).toBe(1);
    const tokens = new Set(responses.map((r) => r.json.access_token));
    expect(tokens.size).toBe(1);
    expect(await works([...tokens][0])).toBe(true);

    await approachExpiry("concurrent", 30);
    const later = await read("concurrent");
    expect(later.status).toBe(200);
    expect(refreshGrants().length - before).toBe(2);
    expect(refreshGrants().at(-1)!.status).toBe(200);
    expect(await works(later.json.access_token)).toBe(true);
  });

  it("takes over a lease left behind by a holder that died, once it has expired", async () => {
    await connect("leased");
    await approachExpiry("leased", 30);
    const row = await app.services.tables.connections.getEntity<Record<string, unknown>>("acme", "leased");
    await app.services.tables.connections.updateEntity(
      { partitionKey: "acme", rowKey: "leased", lease_owner: "instance-that-crashed", lease_expires_at: new Date(app.clock.now().getTime() - 1000).toISOString() },
      "Merge",
      { etag: row.etag as string },
    );
    const before = refreshGrants().length;
    const response = await read("leased");
    expect(response.status).toBe(200);
    expect(refreshGrants().length - before).toBe(1);
    const after = await app.services.tables.connections.getEntity<Record<string, unknown>>("acme", "leased");
    expect(after.lease_owner).toBeUndefined();
    expect(app.logLines.some((line) => line.includes("taking over an expired refresh lease"))).toBe(true);
  });

  it("does not refresh under another instance's live lease: the valid token is returned, an expired one is 503", async () => {
    await connect("stuck");
    await approachExpiry("stuck", 30);
    const row = await app.services.tables.connections.getEntity<Record<string, unknown>>("acme", "stuck");
    await app.services.tables.connections.updateEntity(
      { partitionKey: "acme", rowKey: "stuck", lease_owner: "instance-busy-elsewhere", lease_expires_at: new Date(app.clock.now().getTime() + 60_000).toISOString() },
      "Merge",
      { etag: row.etag as string },
    );
    const before = refreshGrants().length;
    expect((await read("stuck")).status).toBe(200);
    await approachExpiry("stuck", -5);
    const expired = await read("stuck");
    expect(expired.status).toBe(503);
    expect(expired.json.message).toContain("expired");
    expect(refreshGrants().length).toBe(before);
  });

  it("keeps serving a valid token through a provider outage, and answers 503 with the reason once it has expired", async () => {
    await connect("outage");
    await approachExpiry("outage", 60);
    const origin = new URL(server.tokenEndpoint).origin;
    agent.get(origin).intercept({ path: "/token", method: "POST" }).reply(503, "maintenance").times(4);
    const during = await read("outage");
    expect(during.status).toBe(200);
    const detail = (await app.call("GET", "/api/oauth/connections/outage", { org: "acme" })).json;
    expect(detail.status).toBe("completed");
    expect(detail.status_message).toContain("still valid");

    agent.get(origin).intercept({ path: "/token", method: "POST" }).reply(503, "maintenance").times(4);
    await approachExpiry("outage", -1);
    const expired = await read("outage");
    expect(expired.status).toBe(503);
    expect(expired.json).toMatchObject({ error: "connection_not_ready", status: "failed" });
    expect(expired.json.status_message).toContain("503");
  });

  it("registers the workflow's dependency on first read, in both index tables, and does not write on every read", async () => {
    await connect("deps");
    const headers = { "x-workflow-id": "wf-42", "x-workflow-name": "Mailbox sync" };
    expect((await read("deps", headers)).status).toBe(200);
    const { dependencies, dependenciesByWorkflow } = app.services.tables;
    const byConnection = await dependencies.getEntity<Record<string, unknown>>("acme|deps", "wf-42");
    const byWorkflow = await dependenciesByWorkflow.getEntity<Record<string, unknown>>("wf-42", "acme|deps");
    expect(byConnection).toMatchObject({ workflow_name: "Mailbox sync", org_id: "acme" });
    expect(byWorkflow.last_accessed_at).toBe(byConnection.last_accessed_at);

    for (let i = 0; i < 5; i++) await read("deps", headers);
    app.clock.advance(30 * 60 * 1000);
    await read("deps", headers);
    expect((await dependenciesByWorkflow.getEntity("wf-42", "acme|deps")).etag).toBe(byWorkflow.etag);

    app.clock.advance(31 * 60 * 1000);
    await read("deps", headers);
    const touched = await dependenciesByWorkflow.getEntity<Record<string, unknown>>("wf-42", "acme|deps");
    expect(touched.last_accessed_at).toBe(app.clock.now().toISOString());
    expect(touched.registered_at).toBe(byWorkflow.registered_at);
  });

  it("refuses a malformed X-Workflow-Id with 400", async () => {
    const response = await read("mail", { "x-workflow-id": "a/b" });
    expect(response.status).toBe(400);
    expect(response.json.details[0].field).toBe("header.X-Workflow-Id");
  });

  it("registers a dependency through the API, idempotently", async () => {
    const first = await app.call("POST", "/api/oauth/workflows/wf-7/dependencies", { key: workflowKey, body: { connection_name: "mail", workflow_name: "Reports" } });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ workflow_id: "wf-7", connection_name: "mail", org_id: "acme", workflow_name: "Reports" });
    const again = await app.call("POST", "/api/oauth/workflows/wf-7/dependencies", { key: workflowKey, body: { connection_name: "mail" } });
    expect(again.status).toBe(201);
    expect(again.json.registered_at).toBe(first.json.registered_at);
    expect(again.json.workflow_name).toBe("Reports");
    expect((await app.call("POST", "/api/oauth/workflows/wf-7/dependencies", { key: workflowKey, body: { connection_name: "nope" } })).status).toBe(404);
  });
});
