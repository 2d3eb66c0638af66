import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countRows } from "./support/table-rows.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

describe("API keys", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => {
    expect(app.leaks()).toEqual([]);
  });

  it("issues a key once, stores only its hash, and the key works at once", async () => {
    const created = await app.call("POST", "/api/oauth/keys", { body: { name: "engine", role: "admin", org_id: "acme" } });
    expect(created.status).toBe(201);
    const { key, id } = created.json;
    expect(key).toMatch(/^ohk_[A-Za-z0-9_-]{43}$/);
    expect(created.json).toMatchObject({ name: "engine", role: "admin", org_id: "acme", id: expect.any(String) });

    const rows: string[] = [];
    for await (const row of app.services.tables.apiKeys.listEntities()) rows.push(JSON.stringify(row));
    expect(rows.join()).not.toContain(key);
    expect(rows.join()).toContain(createHash("sha256").update(key).digest("hex"));

    const listed = await app.call("GET", "/api/oauth/connections", { key });
    expect(listed.status).toBe(200);
    const keys = (await app.call("GET", "/api/oauth/keys")).json.keys;
    const entry = keys.find((k: { id: string }) => k.id === id);
    expect(entry).toMatchObject({ name: "engine", role: "admin", org_id: "acme", created_by: "global-admin", revoked: false });
    expect(entry.last_used_at).not.toBeNull();
    expect(JSON.stringify(keys)).not.toContain(key);
  });

  it("records last use at most once an hour", async () => {
    const key = await app.issueKey("admin", "touchy");
    const lastUsed = async () => {
      const keys = (await app.call("GET", "/api/oauth/keys")).json.keys;
      return keys.find((k: { name: string }) => k.name === "admin-touchy").last_used_at;
    };
    await app.call("GET", "/api/oauth/connections", { key });
    const first = await lastUsed();
    app.clock.advance(10 * 60 * 1000);
    await app.call("GET", "/api/oauth/connections", { key });
    expect(await lastUsed()).toBe(first);
    app.clock.advance(60 * 60 * 1000);
    await app.call("GET", "/api/oauth/connections", { key });
    expect(await lastUsed()).not.toBe(first);
  });

  it("revokes a key so that it stops working at once", async () => {
    const created = (await app.call("POST", "/api/oauth/keys", { body: { name: "short-lived", role: "workflow", org_id: "acme" } })).json;
    const revoked = await app.call("DELETE", `/api/oauth/keys/${created.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ id: created.id, revoked_at: expect.any(String) });
    expect((await app.call("GET", "/api/oauth/connections", { key: created.key })).status).toBe(401);
    const entry = (await app.call("GET", "/api/oauth/keys")).json.keys.find((k: { id: string }) => k.id === created.id);
    expect(entry.revoked).toBe(true);
  });

  it("answers 404 for revoking an unknown key id and 400 for a malformed one", async () => {
    const unknown = await app.call("DELETE", "/api/oauth/keys/00000000-0000-0000-0000-000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe("key_not_found");
    expect((await app.call("DELETE", "/api/oauth/keys/not-an-id")).status).toBe(400);
  });

  it("lets only GLOBAL admin keys manage keys", async () => {
    const orgAdmin = await app.issueKey("admin", "acme");
    const workflow = await app.issueKey("workflow", "GLOBAL");
    const before = await countRows(app.services.tables);
    for (const key of [orgAdmin, workflow]) {
      expect((await app.call("GET", "/api/oauth/keys", { key })).status).toBe(403);
      expect((await app.call("POST", "/api/oauth/keys", { key, body: { name: "x", role: "admin", org_id: "GLOBAL" } })).status).toBe(403);
    }
    expect(await countRows(app.services.tables)).toEqual(before);
  });

  it("validates new keys: role, org id and name", async () => {
    const bad = await app.call("POST", "/api/oauth/keys", { body: { name: "has space", role: "root", org_id: "a/b" } });
    expect(bad.status).toBe(400);
    expect(bad.json.details.map((d: { field: string }) => d.field).sort()).toEqual(["name", "org_id", "role"]);
  });

  it("accepts the pinned OAUTH_BOOTSTRAP_ADMIN_KEY as a GLOBAL admin without storing it", async () => {
    const pinned = app.secret("pinned-admin-key-with-enough-length");
    const pinnedApp = await createTestApp({ env: { OAUTH_BOOTSTRAP_ADMIN_KEY: pinned } });
    const created = await pinnedApp.call("POST", "/api/oauth/connections", {
      key: pinned,
      body: { connection_name: "by-bootstrap", oauth_flow_type: "client_credentials", client_id: "c", client_secret: "s", token_url: "https://idp.example.com/t" },
    });
    expect(created.status).toBe(201);
    expect(created.json.created_by).toBe("bootstrap-admin");
    expect((await pinnedApp.call("GET", "/api/oauth/keys", { key: pinned.slice(0, -1) })).status).toBe(401);
    const rows: string[] = [];
    for await (const row of pinnedApp.services.tables.apiKeys.listEntities()) rows.push(JSON.stringify(row));
    expect(rows.join()).not.toContain(createHash("sha256").update(pinned).digest("hex"));
  });
});
