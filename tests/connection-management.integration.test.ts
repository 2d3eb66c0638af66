import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OAuthHelperClient, WorkflowDisabledError } from "../src/client/index.js";
import { startEmbeddedHost, type EmbeddedHost } from "../src/local/embedded-host.js";
import { authorizationCodeBody, callbackUri, connectThroughBrowser } from "./support/connect-flow.js";
import { createTestApp, type TestApp } from "./support/test-app.js";
import { BASIC_CLIENT, POST_CLIENT, startTestAuthorizationServer, type TestAuthorizationServer } from "./support/test-authorization-server.js";

describe("managing connections and the workflows that depend on them", () => {
  let server: TestAuthorizationServer;
  let app: TestApp;
  let host: EmbeddedHost;

  beforeAll(async () => {
    server = await startTestAuthorizationServer({ redirectUris: ["mail", "shared", "solo", "paged"].map(callbackUri), accessTokenTtlSeconds: 3600 });
    app = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true" }, httpDispatcher: new Agent() });
    app.watch(BASIC_CLIENT.clientSecret!);
    app.watch(POST_CLIENT.clientSecret!);
    host = await startEmbeddedHost({ dispatcher: app.dispatcher, port: 0, logger: app.services.logger });
  });
  afterAll(async () => {
    expect(app.leaks()).toEqual([]);
    await host.close();
    await server.close();
  });

  const connect = async (name: string, org: string) => {
    await app.call("POST", "/api/oauth/connections", { org, body: authorizationCodeBody(server, BASIC_CLIENT, name) });
    await connectThroughBrowser(app, name, { org });
  };
  const detail = async (name: string, org: string) => (await app.call("GET", `/api/oauth/connections/${name}`, { org })).json;
  const readAs = async (key: string, name: string, workflowId: string, org?: string) => {
    const response = await app.call("GET", `/api/oauth/credentials/${name}`, { key, headers: { "x-workflow-id": workflowId, "x-workflow-name": `Flow ${workflowId}` }, ...(org ? { org } : {}) });
    if (response.json?.access_token) app.watch(response.json.access_token);
    return response;
  };

  it("keeps the status for harmless changes and asks to reconnect after changes to the grant", async () => {
    await connect("mail", "acme");
    const harmless = await app.call("PUT", "/api/oauth/connections/mail", { org: "acme", body: { test_url: null, authorization_params: { prompt: "consent" } } });
    expect(harmless.status).toBe(200);
    expect(harmless.json).toMatchObject({ status: "completed", test_url: null, authorization_params: { prompt: "consent" } });

    const secret = app.secret("new-client-secret");
    const changed = await app.call("PUT", "/api/oauth/connections/mail", { org: "acme", body: { scopes: "openid api:read", client_secret: secret } });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ status: "not_connected", status_message: "Configuration changed; reconnect required", scopes: "openid,api:read" });
    const ref = await app.services.tables.config.getEntity<{ value: string }>("acme", "config:oauth_mail_client_secret");
    expect(await app.services.secrets.get(ref.value)).toBe(secret);

    const event = (await app.services.audit.list("acme", "mail", 1))[0]!;
    expect(event).toMatchObject({ event_type: "connection_updated", details: { changed_fields: ["scopes", "client_secret"], reconnect_required: true } });
    expect(JSON.stringify(event)).not.toContain(secret);
  });

  it("connects again after an update (reconnect completes)", async () => {
    await app.call("PUT", "/api/oauth/connections/mail", { org: "acme", body: { client_secret: BASIC_CLIENT.clientSecret } });
    const { page } = await connectThroughBrowser(app, "mail", { org: "acme" });
    expect(page.status).toBe(200);
    expect((await detail("mail", "acme")).status).toBe("completed");
  });

  it("fetches a new token at once when a client_credentials connection's client changes", async () => {
    const created = await app.call("POST", "/api/oauth/connections", {
      org: "acme",
      body: { connection_name: "machine", oauth_flow_type: "client_credentials", client_id: POST_CLIENT.clientId, client_secret: app.secret("wrong"), token_auth_method: "client_secret_post", token_url: server.tokenEndpoint, scopes: "api:read" },
    });
    expect(created.json.status).toBe("failed");
    const fixed = await app.call("PUT", "/api/oauth/connections/machine", { org: "acme", body: { client_secret: POST_CLIENT.clientSecret } });
    expect(fixed.json.status).toBe("completed");
  });

  it("refuses an update with unknown fields, and answers 404 for an unknown connection", async () => {
    expect((await app.call("PUT", "/api/oauth/connections/mail", { org: "acme", body: { oauth_flow_type: "client_credentials" } })).status).toBe(400);
    expect((await app.call("PUT", "/api/oauth/connections/mail", { org: "acme", body: {} })).status).toBe(400);
    expect((await app.call("PUT", "/api/oauth/connections/nope", { org: "acme", body: { client_id: "x" } })).status).toBe(404);
  });

  it("warns before deleting a GLOBAL connection used in two orgs, then deletes it and disables the workflows in both", async () => {
    await connect("shared", "GLOBAL");
    const acmeKey = await app.issueKey("workflow", "acme", "acme-engine");
    const globexKey = await app.issueKey("workflow", "globex", "globex-engine");
    expect((await readAs(acmeKey, "shared", "wf-acme")).json.org_id).toBe("GLOBAL");
    expect((await readAs(globexKey, "shared", "wf-globex")).status).toBe(200);

    const refused = await app.call("DELETE", "/api/oauth/connections/shared");
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe("dependent_workflows");
    expect(refused.json.message).toContain("getOAuthConnection('shared')");
    const listed = refused.json.dependent_workflows.map((d: { workflow_id: string; org_id: string }) => `${d.org_id}/${d.workflow_id}`).sort();
    expect(listed).toEqual(["acme/wf-acme", "globex/wf-globex"]);
    expect((await detail("shared", "GLOBAL")).status).toBe("completed");

    const row = await app.services.tables.connections.getEntity<Record<string, string>>("GLOBAL", "shared");
    const deleted = await app.call("DELETE", "/api/oauth/connections/shared?confirm_disable_workflows=true");
    expect(deleted.status).toBe(200);
    expect(deleted.json.disabled_workflows.sort()).toEqual(["wf-acme", "wf-globex"]);

    expect((await app.call("GET", "/api/oauth/connections/shared")).status).toBe(404);
    await expect(app.services.tables.config.getEntity("GLOBAL", "config:oauth_shared_metadata")).rejects.toMatchObject({ statusCode: 404 });
    expect(await app.services.secrets.get(row.tokens_secret_name!)).toBeUndefined();
    expect(await app.services.secrets.get(row.client_secret_name!)).toBeUndefined();
    const acmeStatus = await app.call("GET", "/api/oauth/workflows/wf-acme/status", { key: acmeKey });
    expect(acmeStatus.json).toMatchObject({ is_disabled: true, disabled_reason: "oauth_connection_deleted", related_oauth_connection: "GLOBAL|shared", disabled_by: "global-admin" });
    const refusedRead = await readAs(globexKey, "mail", "wf-globex", "globex");
    expect(refusedRead.status).toBe(403);
    expect(refusedRead.json).toMatchObject({ error: "workflow_disabled", workflow_id: "wf-globex", disabled_reason: "oauth_connection_deleted" });
    const disabled = await app.call("GET", "/api/oauth/workflows/disabled");
    expect(disabled.json.workflows.map((w: { workflow_id: string }) => w.workflow_id).sort()).toEqual(["wf-acme", "wf-globex"]);
  });

  it("deletes a connection nobody uses at once", async () => {
    await app.call("POST", "/api/oauth/connections", { org: "acme", body: authorizationCodeBody(server, BASIC_CLIENT, "solo") });
    const deleted = await app.call("DELETE", "/api/oauth/connections/solo", { org: "acme" });
    expect(deleted.json).toEqual({ message: "Connection solo deleted", disabled_workflows: [] });
    expect((await app.call("DELETE", "/api/oauth/connections/solo", { org: "acme" })).status).toBe(404);
  });

  it("has the SDK refuse a disabled workflow, and serve it again once enabled", async () => {
    const key = await app.issueKey("workflow", "acme", "sdk-engine");
    const client = new OAuthHelperClient({ baseUrl: host.url, apiKey: key, workflowId: "wf-sdk" });
    app.watch((await client.getOAuthConnection("mail")).accessToken);
    expect((await app.call("POST", "/api/oauth/workflows/wf-sdk/disable", { org: "acme" })).json).toMatchObject({ is_disabled: true, disabled_reason: "manual" });
    client.invalidate();
    const refused = await client.getOAuthConnection("mail").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WorkflowDisabledError);
    const asserted = await client.assertWorkflowEnabled().catch((error: unknown) => error);
    expect(asserted).toBeInstanceOf(WorkflowDisabledError);
    expect((asserted as WorkflowDisabledError).reason).toBe("manual");
    const enabled = await app.call("POST", "/api/oauth/workflows/wf-sdk/enable", { org: "acme" });
    expect(enabled.json).toMatchObject({ workflow_id: "wf-sdk", enabled_at: expect.any(String) });
    app.watch((await client.getOAuthConnection("mail")).accessToken);
    await expect(client.assertWorkflowEnabled()).resolves.toBeUndefined();
    expect((await app.call("POST", "/api/oauth/workflows/wf-sdk/enable", { org: "acme" })).status).toBe(404);
  });

  it("keeps both dependency indexes in agreement: a re-run repairs a half-written pair", async () => {
    const byWorkflow = app.services.tables.dependenciesByWorkflow;
    const original = byWorkflow.upsertEntity.bind(byWorkflow);
    let failures = 1;
    byWorkflow.upsertEntity = (async (...args: Parameters<typeof original>) => {
      if (failures-- > 0) throw new Error("injected: storage went away between the two writes");
      return original(...args);
    }) as typeof original;
    const body = { connection_name: "mail", workflow_name: "Half written" };
    expect((await app.call("POST", "/api/oauth/workflows/wf-half/dependencies", { org: "acme", body })).status).toBe(500);
    await expect(byWorkflow.getEntity("wf-half", "acme|mail")).rejects.toMatchObject({ statusCode: 404 });
    expect((await app.call("POST", "/api/oauth/workflows/wf-half/dependencies", { org: "acme", body })).status).toBe(201);
    const forward = await app.services.tables.dependencies.getEntity<Record<string, unknown>>("acme|mail", "wf-half");
    const reverse = await byWorkflow.getEntity<Record<string, unknown>>("wf-half", "acme|mail");
    expect(reverse.registered_at).toBe(forward.registered_at);
    const listed = await app.call("GET", "/api/oauth/workflows/wf-half/dependencies", { org: "acme" });
    expect(listed.json).toEqual({ workflow_id: "wf-half", connections: [expect.objectContaining({ connection_name: "mail", org_id: "acme", workflow_name: "Half written" })] });
  });

  it("keeps org-scoped keys to their own org's workflows", async () => {
    const acmeAdmin = await app.issueKey("admin", "acme", "acme-admin");
    expect((await app.call("POST", "/api/oauth/workflows/wf-globex/enable", { key: acmeAdmin, org: "globex" })).status).toBe(403);
    expect((await app.call("POST", "/api/oauth/workflows/wf-globex/disable", { key: acmeAdmin, org: "globex" })).status).toBe(403);
    const acmeView = await app.call("GET", "/api/oauth/workflows/disabled", { key: acmeAdmin });
    expect(acmeView.json.workflows.map((w: { org_id: string }) => w.org_id)).toEqual(["acme"]);
    const acmeWorkflowKey = await app.issueKey("workflow", "acme", "acme-reader");
    expect((await app.call("GET", "/api/oauth/workflows/wf-globex/status", { key: acmeWorkflowKey, org: "globex" })).status).toBe(403);
  });

  it("shows a connection's history newest first, a page at a time, without secrets", async () => {
    const first = await app.call("GET", "/api/oauth/connections/mail/events?limit=3", { org: "acme" });
    expect(first.status).toBe(200);
    expect(first.json.events).toHaveLength(3);
    const times = first.json.events.map((e: { occurred_at: string }) => e.occurred_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const second = await app.call("GET", `/api/oauth/connections/mail/events?limit=3&cursor=${encodeURIComponent(first.json.next_cursor)}`, { org: "acme" });
    expect(second.json.events).toHaveLength(3);
    expect(second.json.events[0].occurred_at <= times[2]).toBe(true);
    const all = await app.call("GET", "/api/oauth/connections/mail/events?limit=200", { org: "acme" });
    expect(all.json.events.map((e: { event_type: string }) => e.event_type)).toEqual(expect.arrayContaining(["connection_created", "callback", "connection_updated"]));
    expect((await app.call("GET", "/api/oauth/connections/nope/events", { org: "acme" })).status).toBe(404);
  });
});
