import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigNotFoundError, OAuthHelperClient } from "../src/client/index.js";
import { startEmbeddedHost, type EmbeddedHost } from "../src/local/embedded-host.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

interface ConfigRow {
  type: string;
  value: string;
}

const connectionBody = (name: string, clientSecret: string) => ({
  connection_name: name,
  oauth_flow_type: "authorization_code",
  client_id: "client-123",
  client_secret: clientSecret,
  authorization_url: "https://idp.example.com/authorize",
  token_url: "https://idp.example.com/token",
  scopes: "openid",
});

describe("the config store", () => {
  let app: TestApp;
  let workflowKey: string;
  let acmeAdmin: string;

  const put = (key: string, body: unknown, options: { org?: string; key?: string } = {}) => app.call("PUT", `/api/config/${key}`, { ...options, body });
  const storedRow = async (org: string, key: string): Promise<ConfigRow | undefined> => {
    try {
      return await app.services.tables.config.getEntity<ConfigRow>(org, `config:${key}`);
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    app = await createTestApp();
    workflowKey = await app.issueKey("workflow", "acme", "engine");
    acmeAdmin = await app.issueKey("admin", "acme", "acme-admin");
  });
  afterAll(() => {
    expect(app.leaks()).toEqual([]);
  });

  it("stores each type as a string and answers with typed values", async () => {
    const values: Array<[string, unknown]> = [
      ["string", "smtp.example.com"],
      ["int", 587],
      ["bool", true],
      ["json", { retries: [1, 2, 3], region: "eu", off: null }],
    ];
    for (const [type, value] of values) {
      const created = await put(`typed.${type}`, { type, value }, { org: "acme" });
      expect(created.status).toBe(201);
      expect(created.json).toEqual({ key: `typed.${type}`, type, value, org_id: "acme" });
      expect((await app.call("GET", `/api/config/typed.${type}`, { org: "acme" })).json).toEqual({ key: `typed.${type}`, type, value, org_id: "acme" });
      expect((await app.call("GET", `/api/config/typed.${type}`, { org: "acme", key: workflowKey })).json).toMatchObject({ value });
    }
    expect(await storedRow("acme", "typed.int")).toMatchObject({ type: "int", value: "587" });
    expect(await storedRow("acme", "typed.bool")).toMatchObject({ type: "bool", value: "true" });
    expect(JSON.parse((await storedRow("acme", "typed.json"))!.value)).toEqual({ retries: [1, 2, 3], region: "eu", off: null });
    const list = await app.call("GET", "/api/config", { org: "acme" });
    expect(list.status).toBe(200);
    expect(list.json.configs).toEqual(expect.arrayContaining(values.map(([type, value]) => ({ key: `typed.${type}`, type, value, org_id: "acme" }))));
  });

  it("answers 201 when it creates and 200 when it replaces", async () => {
    expect((await put("replace.me", { type: "string", value: "one" }, { org: "acme" })).status).toBe(201);
    const replaced = await put("replace.me", { type: "int", value: 2 }, { org: "acme" });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toEqual({ key: "replace.me", type: "int", value: 2, org_id: "acme" });
  });

  it("lists the org's entries before GLOBAL's, and an org entry hides GLOBAL's of the same key", async () => {
    await put("region", { type: "string", value: "global-region" });
    await put("only.global", { type: "bool", value: false });
    await put("region", { type: "string", value: "acme-region" }, { org: "hides" });
    const list = (await app.call("GET", "/api/config", { org: "hides" })).json.configs as Array<{ key: string; org_id: string; value: unknown }>;
    expect(list.filter((entry) => entry.key === "region")).toEqual([{ key: "region", type: "string", value: "acme-region", org_id: "hides" }]);
    expect(list).toContainEqual({ key: "only.global", type: "bool", value: false, org_id: "GLOBAL" });
    expect(list[0]!.org_id).toBe("hides");
    expect(list.findIndex((entry) => entry.org_id === "GLOBAL")).toBeGreaterThan(list.findLastIndex((entry) => entry.org_id === "hides"));
    expect((await app.call("GET", "/api/config/region", { org: "hides" })).json).toMatchObject({ value: "acme-region", org_id: "hides" });
    expect((await app.call("GET", "/api/config/region", { org: "other" })).json).toMatchObject({ value: "global-region", org_id: "GLOBAL" });
    expect((await app.call("GET", "/api/config/nothing.here", { org: "other" })).json).toMatchObject({ error: "config_not_found" });
  });

  it("keeps a secret_ref in the SecretStore and masks it for admins", async () => {
    const secret = app.secret("smtp-password");
    const created = await put("smtp.password", { type: "secret_ref", value: secret }, { org: "acme" });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ key: "smtp.password", type: "secret_ref", value: "********", org_id: "acme", secret_set: true });
    const stored = await storedRow("acme", "smtp.password");
    expect(stored!.value).toMatch(/^config-[0-9a-f-]{36}$/);
    expect(await app.services.secrets.get(stored!.value)).toBe(secret);
    expect((await app.call("GET", "/api/config/smtp.password", { org: "acme" })).json).toMatchObject({ value: "********", secret_set: true });
    expect((await app.call("GET", "/api/config/smtp.password", { org: "acme", key: acmeAdmin })).json).toMatchObject({ value: "********" });
    const list = await app.call("GET", "/api/config", { org: "acme" });
    expect(list.json.configs).toContainEqual({ key: "smtp.password", type: "secret_ref", value: "********", org_id: "acme", secret_set: true });
  });

  it("resolves a secret_ref to the secret for a workflow key, also from GLOBAL", async () => {
    const secret = app.secret("api-token");
    await put("shared.token", { type: "secret_ref", value: secret });
    const read = await app.call("GET", "/api/config/shared.token", { key: workflowKey });
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ key: "shared.token", type: "secret_ref", value: secret, org_id: "GLOBAL", secret_set: true });
    expect(read.headers.get("cache-control")).toBe("no-store");
  });

  it("replaces a secret with a new SecretStore entry and deletes the old one, also when the type changes", async () => {
    await put("rotating", { type: "secret_ref", value: app.secret("first") }, { org: "acme" });
    const first = (await storedRow("acme", "rotating"))!.value;
    const second = app.secret("second");
    expect((await put("rotating", { type: "secret_ref", value: second }, { org: "acme" })).status).toBe(200);
    const secondName = (await storedRow("acme", "rotating"))!.value;
    expect(secondName).not.toBe(first);
    expect(await app.services.secrets.get(first)).toBeUndefined();
    expect(await app.services.secrets.get(secondName)).toBe(second);
    await put("rotating", { type: "string", value: "no longer secret" }, { org: "acme" });
    expect(await app.services.secrets.get(secondName)).toBeUndefined();
  });

  it("refuses bad values per type with field details and writes nothing", async () => {
    const bad: Array<[unknown, string]> = [
      [{ type: "string", value: 5 }, "value"],
      [{ type: "string", value: "x".repeat(32_001) }, "value"],
      [{ type: "int", value: "5" }, "value"],
      [{ type: "int", value: 1.5 }, "value"],
      [{ type: "int", value: 2 ** 60 }, "value"],
      [{ type: "bool", value: "true" }, "value"],
      [{ type: "json", value: "y".repeat(32_000) }, "value"],
      [{ type: "json" }, "value"],
      [{ type: "secret_ref", value: "" }, "value"],
      [{ type: "secret_ref", value: "z".repeat(16_385) }, "value"],
      [{ type: "secret_ref", value: { nested: true } }, "value"],
      [{ type: "yaml", value: "a: 1" }, "type"],
      [{ type: "string", value: "ok", extra: 1 }, "(body)"],
    ];
    for (const [body, field] of bad) {
      const response = await put("bad.value", body, { org: "acme" });
      expect(response.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(response.json.error).toBe("validation_failed");
      expect(response.json.details.map((detail: { field: string }) => detail.field)).toContain(field);
    }
    expect((await put("bad key!", { type: "string", value: "x" }, { org: "acme" })).json.details[0].field).toBe("path.key");
    expect(await storedRow("acme", "bad.value")).toBeUndefined();
  });

  it("refuses keys under the reserved oauth_ prefix", async () => {
    const response = await put("oauth_mine_client_secret", { type: "string", value: "x" }, { org: "acme" });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: "config_key_reserved", message: expect.stringContaining("oauth_") });
    expect(await storedRow("acme", "oauth_mine_client_secret")).toBeUndefined();
  });

  it("lets workflow keys only read", async () => {
    expect((await put("wf.write", { type: "string", value: "x" }, { org: "acme", key: workflowKey })).status).toBe(403);
    await put("wf.delete", { type: "string", value: "x" }, { org: "acme" });
    expect((await app.call("DELETE", "/api/config/wf.delete", { org: "acme", key: workflowKey })).status).toBe(403);
    expect((await app.call("GET", "/api/config", { org: "acme", key: workflowKey })).status).toBe(403);
    expect(await storedRow("acme", "wf.delete")).toBeDefined();
  });

  it("keeps org-scoped keys to their org: GLOBAL is read-only and other orgs are out of reach", async () => {
    expect((await put("org.write", { type: "string", value: "x" }, { key: acmeAdmin, org: "GLOBAL" })).status).toBe(403);
    expect((await put("org.write", { type: "string", value: "x" }, { key: acmeAdmin, org: "rival" })).status).toBe(403);
    await put("rival.only", { type: "string", value: "x" }, { org: "rival" });
    expect((await app.call("GET", "/api/config/rival.only", { key: acmeAdmin, org: "rival" })).status).toBe(403);
    expect((await app.call("GET", "/api/config", { key: acmeAdmin, org: "rival" })).status).toBe(403);
    expect((await app.call("DELETE", "/api/config/rival.only", { key: acmeAdmin, org: "rival" })).status).toBe(403);
    expect((await app.call("GET", "/api/config/region", { key: acmeAdmin, org: "GLOBAL" })).status).toBe(200);
    expect((await app.call("GET", "/api/config/rival.only", { key: workflowKey, org: "rival" })).status).toBe(403);
    expect((await put("org.write", { type: "string", value: "x" }, { key: acmeAdmin })).json).toMatchObject({ org_id: "acme" });
    expect(await storedRow("GLOBAL", "org.write")).toBeUndefined();
  });

  it("deletes the org's entry and its secret, and answers 404 for a key the org does not have", async () => {
    await put("gone", { type: "secret_ref", value: app.secret("gone") }, { org: "acme" });
    const name = (await storedRow("acme", "gone"))!.value;
    const deleted = await app.call("DELETE", "/api/config/gone", { org: "acme" });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ message: expect.any(String), key: "gone", org_id: "acme" });
    expect(await storedRow("acme", "gone")).toBeUndefined();
    expect(await app.services.secrets.get(name)).toBeUndefined();
    expect((await app.call("DELETE", "/api/config/never.was", { org: "acme" })).status).toBe(404);
    // No GLOBAL fallback for deletes: acme cannot remove GLOBAL's "region" by asking in its own org.
    const fallback = await app.call("DELETE", "/api/config/region", { org: "acme" });
    expect(fallback.status).toBe(404);
    expect(fallback.json.error).toBe("config_not_found");
    expect(await storedRow("GLOBAL", "region")).toBeDefined();
  });

  it("audits writes as config_set and config_deleted with the key and type, never the value", async () => {
    const secret = app.secret("audited");
    await put("audited", { type: "secret_ref", value: secret }, { org: "acme" });
    await app.call("DELETE", "/api/config/audited", { org: "acme" });
    const events = await app.services.audit.list("acme", "config:audited", 10);
    expect(events.map((event) => [event.event_type, event.actor, event.details])).toEqual([
      ["config_deleted", "global-admin", { key: "audited", type: "secret_ref" }],
      ["config_set", "global-admin", { key: "audited", type: "secret_ref" }],
    ]);
    expect(app.logLines.some((line) => line.includes("audit config_set") && line.includes("config:audited"))).toBe(true);
  });

  describe("secrets of OAuth connections (FR-018)", () => {
    it("refuses to delete a secret a connection uses, names the connection, and deletes nothing", async () => {
      const clientSecret = app.secret("client-secret");
      expect((await app.call("POST", "/api/oauth/connections", { org: "acme", body: connectionBody("crm", clientSecret) })).status).toBe(201);
      const refused = await app.call("DELETE", "/api/config/oauth_crm_client_secret", { org: "acme" });
      expect(refused.status).toBe(409);
      expect(refused.json).toEqual({ error: "secret_in_use", message: expect.stringContaining("crm"), connections: ["crm"] });
      const stored = await storedRow("acme", "oauth_crm_client_secret");
      expect(stored?.type).toBe("secret_ref");
      expect(await app.services.secrets.get(stored!.value)).toBe(clientSecret);
    });

    it("refuses the same for a GLOBAL connection's secret", async () => {
      await app.call("POST", "/api/oauth/connections", { body: connectionBody("shared-crm", app.secret("client-secret")) });
      const refused = await app.call("DELETE", "/api/config/oauth_shared-crm_client_secret");
      expect(refused.status).toBe(409);
      expect(refused.json.connections).toEqual(["shared-crm"]);
    });

    it("refuses to delete the metadata row of an existing connection", async () => {
      await app.call("POST", "/api/oauth/connections", { org: "acme", body: connectionBody("meta", app.secret("client-secret")) });
      const refused = await app.call("DELETE", "/api/config/oauth_meta_metadata", { org: "acme" });
      expect(refused.status).toBe(400);
      expect(refused.json.error).toBe("config_key_reserved");
      expect(await storedRow("acme", "oauth_meta_metadata")).toBeDefined();
    });

    it("never resolves a connection's secret for a workflow key, and masks it for admins", async () => {
      await app.call("POST", "/api/oauth/connections", { org: "acme", body: connectionBody("mail", app.secret("client-secret")) });
      const refused = await app.call("GET", "/api/config/oauth_mail_client_secret", { org: "acme", key: workflowKey });
      expect(refused.status).toBe(403);
      expect(refused.json.error).toBe("secret_not_readable");
      expect((await app.call("GET", "/api/config/oauth_mail_client_secret", { org: "acme" })).json).toMatchObject({ value: "********", secret_set: true });
      // The non-secret projection stays readable.
      expect((await app.call("GET", "/api/config/oauth_mail_metadata", { org: "acme", key: workflowKey })).json).toMatchObject({
        type: "json",
        value: expect.objectContaining({ connection_name: "mail", client_secret_set: true }),
      });
    });
  });

  describe("the workflow SDK's getConfig against the service", () => {
    let host: EmbeddedHost;
    let client: OAuthHelperClient;

    beforeAll(async () => {
      host = await startEmbeddedHost({ dispatcher: app.dispatcher, port: 0, logger: app.services.logger });
      client = new OAuthHelperClient({ baseUrl: host.url, apiKey: workflowKey });
    });
    afterAll(async () => {
      await host.close();
    });

    it("reads typed values and a secret over HTTP, and throws ConfigNotFoundError for a missing key", async () => {
      const secret = app.secret("sdk-secret");
      await put("sdk.secret", { type: "secret_ref", value: secret }, { org: "acme" });
      await put("sdk.limits", { type: "json", value: { max: 5 } }, { org: "acme" });
      await put("sdk.global", { type: "bool", value: false });
      expect(await client.getConfig("sdk.secret")).toEqual({ key: "sdk.secret", type: "secret_ref", value: secret, orgId: "acme" });
      expect(await client.getConfig("sdk.limits")).toEqual({ key: "sdk.limits", type: "json", value: { max: 5 }, orgId: "acme" });
      expect(await client.getConfig("sdk.global")).toMatchObject({ value: false, orgId: "GLOBAL" });
      await expect(client.getConfig("sdk.missing")).rejects.toBeInstanceOf(ConfigNotFoundError);
    });
  });
});
