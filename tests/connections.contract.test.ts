import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLIC_BASE_URL, createTestApp, type TestApp } from "./support/test-app.js";

const graphBody = (name: string, clientSecret: string) => ({
  connection_name: name,
  oauth_flow_type: "authorization_code",
  client_id: "client-123",
  client_secret: clientSecret,
  authorization_url: "https://login.microsoftonline.com/tenant/oauth2/v2.0/authorize",
  token_url: "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
  scopes: "openid offline_access, Mail.Read",
});

describe("creating, listing and reading connections", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => {
    expect(app.leaks()).toEqual([]);
  });

  it("creates a connection and answers 201 with its masked detail", async () => {
    const secret = app.secret("client-secret");
    const response = await app.call("POST", "/api/oauth/connections", { org: "acme", body: graphBody("graph", secret) });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      connection_name: "graph",
      org_id: "acme",
      oauth_flow_type: "authorization_code",
      client_id: "client-123",
      scopes: "openid,offline_access,Mail.Read",
      token_auth_method: "client_secret_basic",
      use_pkce: true,
      redirect_uri: `${PUBLIC_BASE_URL}/api/oauth/callback/graph`,
      status: "not_connected",
      created_by: "global-admin",
      client_secret_set: true,
      refresh_token_set: false,
    });
    expect(response.text).not.toContain(secret);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("stores the client secret in the SecretStore behind a secret_ref Config row, and the metadata row", async () => {
    const secret = app.secret("client-secret");
    await app.call("POST", "/api/oauth/connections", { org: "acme", body: graphBody("stored", secret) });
    const config = app.services.tables.config;
    const ref = await config.getEntity<{ type: string; value: string }>("acme", "config:oauth_stored_client_secret");
    expect(ref.type).toBe("secret_ref");
    expect(ref.value).toMatch(/^oauth-[0-9a-f-]{36}-client-secret$/);
    expect(await app.services.secrets.get(ref.value)).toBe(secret);
    const metadata = await config.getEntity<{ type: string; value: string }>("acme", "config:oauth_stored_metadata");
    expect(metadata.type).toBe("json");
    expect(JSON.parse(metadata.value)).toMatchObject({ connection_name: "stored", status: "not_connected", client_secret_set: true });
    expect(metadata.value).not.toContain(secret);
    const row = await app.services.tables.connections.getEntity("acme", "stored");
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("writes an audit event naming who created it", async () => {
    await app.call("POST", "/api/oauth/connections", { org: "acme", body: graphBody("audited", app.secret("s")) });
    const events = await app.services.audit.list("acme", "audited", 10);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: "connection_created", actor: "global-admin", details: { oauth_flow_type: "authorization_code" } });
    expect(app.logLines.some((line) => line.includes("audit connection_created") && line.includes("audited"))).toBe(true);
  });

  it("answers 409 for a duplicate name in the same org and accepts it in another org", async () => {
    const body = graphBody("dup", app.secret("s"));
    expect((await app.call("POST", "/api/oauth/connections", { org: "org-one", body })).status).toBe(201);
    const again = await app.call("POST", "/api/oauth/connections", { org: "org-one", body });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: "connection_exists" });
    expect((await app.call("POST", "/api/oauth/connections", { org: "org-two", body })).status).toBe(201);
  });

  it("creates client_credentials and refresh_token connections with their secrets masked", async () => {
    const cc = await app.call("POST", "/api/oauth/connections", {
      org: "acme",
      body: { connection_name: "cc", oauth_flow_type: "client_credentials", client_id: "c", client_secret: app.secret("s"), token_url: "https://idp.example.com/token", scopes: "api://x/.default", token_auth_method: "client_secret_post" },
    });
    expect(cc.status).toBe(201);
    expect(cc.json).toMatchObject({ oauth_flow_type: "client_credentials", authorization_url: null, token_auth_method: "client_secret_post" });
    const refreshToken = app.secret("refresh-token");
    const rt = await app.call("POST", "/api/oauth/connections", {
      org: "acme",
      body: { connection_name: "rt", oauth_flow_type: "refresh_token", client_id: "c", refresh_token: refreshToken, token_url: "https://idp.example.com/token" },
    });
    expect(rt.status).toBe(201);
    expect(rt.json).toMatchObject({ refresh_token_set: true, client_secret_set: false });
    const tokensRef = await app.services.tables.config.getEntity<{ value: string }>("acme", "config:oauth_rt_tokens");
    expect(JSON.parse((await app.services.secrets.get(tokensRef.value))!)).toEqual({ refresh_token: refreshToken });
  });

  it("reads the org's connection first and falls back to the GLOBAL one", async () => {
    await app.call("POST", "/api/oauth/connections", { body: { ...graphBody("shared", app.secret("s")), client_id: "global-client" } });
    await app.call("POST", "/api/oauth/connections", { org: "has-own", body: { ...graphBody("shared", app.secret("s")), client_id: "own-client" } });
    const own = await app.call("GET", "/api/oauth/connections/shared", { org: "has-own" });
    expect(own.json).toMatchObject({ org_id: "has-own", client_id: "own-client" });
    const fallback = await app.call("GET", "/api/oauth/connections/shared", { org: "no-own" });
    expect(fallback.status).toBe(200);
    expect(fallback.json).toMatchObject({ org_id: "GLOBAL", client_id: "global-client" });
    const missing = await app.call("GET", "/api/oauth/connections/nothing-here", { org: "no-own" });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: "connection_not_found" });
  });

  it("lists the org's connections with GLOBAL ones unless include_global=false", async () => {
    await app.call("POST", "/api/oauth/connections", { org: "lister", body: graphBody("mine", app.secret("s")) });
    await app.call("POST", "/api/oauth/connections", { body: graphBody("everyone", app.secret("s")) });
    const all = await app.call("GET", "/api/oauth/connections", { org: "lister" });
    expect(all.status).toBe(200);
    const names = all.json.connections.map((c: { org_id: string; connection_name: string }) => `${c.org_id}/${c.connection_name}`);
    expect(names).toContain("lister/mine");
    expect(names).toContain("GLOBAL/everyone");
    expect(all.json.count).toBe(names.length);
    expect(all.json.connections[0]).not.toHaveProperty("client_id");
    const own = await app.call("GET", "/api/oauth/connections?include_global=false", { org: "lister" });
    expect(own.json).toEqual({ connections: [expect.objectContaining({ connection_name: "mine", org_id: "lister" })], count: 1 });
  });

  it("lets an org-scoped admin create in its org and read, but not write, GLOBAL", async () => {
    const orgAdmin = await app.issueKey("admin", "scoped");
    const created = await app.call("POST", "/api/oauth/connections", { key: orgAdmin, body: graphBody("scoped-conn", app.secret("s")) });
    expect(created.status).toBe(201);
    expect(created.json.org_id).toBe("scoped");
    expect(created.json.created_by).toBe("admin-scoped");
    await app.call("POST", "/api/oauth/connections", { body: graphBody("global-read", app.secret("s")) });
    expect((await app.call("GET", "/api/oauth/connections/global-read", { key: orgAdmin })).json.org_id).toBe("GLOBAL");
    expect((await app.call("GET", "/api/oauth/connections?include_global=true", { key: orgAdmin, org: "GLOBAL" })).status).toBe(200);
  });
});
