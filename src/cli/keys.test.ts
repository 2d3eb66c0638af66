import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { httpRoutes, timerRoutes } from "../functions/route-table.js";
import { findFreePort } from "../local/azurite.js";
import { createDispatcher } from "../local/dispatcher.js";
import { startEmbeddedHost, type EmbeddedHost } from "../local/embedded-host.js";
import { createMemoryLogger } from "../logger.js";
import { createAppServices } from "../services/app-services.js";
import { loadSettings } from "../settings.js";
import { runKeysCli } from "./keys.js";

interface Run {
  code: number;
  out: string[];
  err: string[];
}

describe("the key CLI against the embedded host", () => {
  const adminKey = `bootstrap-${randomBytes(24).toString("hex")}`;
  const printed: string[] = [];
  let host: EmbeddedHost;
  let env: Record<string, string>;

  const run = async (argv: string[], runEnv: Record<string, string | undefined> = env): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCli(argv, runEnv, { out: (line) => out.push(line), err: (line) => err.push(line) });
    printed.push(...out, ...err);
    return { code, out, err };
  };
  const statusWith = async (key: string) =>
    (await fetch(`${host.url}/api/oauth/connections`, { headers: { authorization: `Bearer ${key}` } })).status;

  beforeAll(async () => {
    const logger = createMemoryLogger();
    const settings = loadSettings({
      AzureWebJobsStorage: inject("storageConnectionString"),
      LOCAL_SECRET_KEY: randomBytes(32).toString("base64"),
      OAUTH_BOOTSTRAP_ADMIN_KEY: adminKey,
    });
    const services = await createAppServices(settings, { logger, tablePrefix: `t${randomBytes(6).toString("hex")}` });
    const dispatcher = createDispatcher({ httpRoutes, timerRoutes, services });
    host = await startEmbeddedHost({ dispatcher, port: 0, logger, hostname: "127.0.0.1" });
    env = { OAUTH_URL: host.url, OAUTH_ADMIN_KEY: adminKey };
  });
  afterAll(async () => {
    await host?.close();
  });

  let created: { id: string; key: string };

  it("creates a workflow key, prints it once with its id, role and org, and the key is known to the service", async () => {
    const result = await run(["create", "--role", "workflow", "--org", "acme", "--name", "engine"]);
    expect(result).toMatchObject({ code: 0, err: [] });
    const text = result.out.join("\n");
    const key = /ohk_[A-Za-z0-9_-]{43}/.exec(text)?.[0];
    const id = /id:\s+([0-9a-f-]{36})/.exec(text)?.[1];
    expect(key).toBeDefined();
    expect(id).toBeDefined();
    expect(text).toMatch(/role:\s+workflow/);
    expect(text).toMatch(/org:\s+acme/);
    expect(text).toMatch(/not shown again/);
    created = { id: id!, key: key! };
    // Workflow keys may not list connections: 403 (known key, wrong role), not 401 (unknown key).
    expect(await statusWith(created.key)).toBe(403);
  });

  it("lists keys as a table with the new key's id, name, role, org and revoked flag", async () => {
    const result = await run(["list"], { OAUTH_URL: `${host.url}/api/`, OAUTH_ADMIN_KEY: adminKey });
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(/^ID\s+NAME\s+ROLE\s+ORG\s+CREATED \(UTC\)\s+LAST USED \(UTC\)\s+REVOKED$/);
    const row = result.out.find((line) => line.startsWith(created.id));
    expect(row).toBeDefined();
    expect(row!.split(/\s{2,}/)).toEqual([created.id, "engine", "workflow", "acme", expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), "no"]);
    expect(result.out.join("\n")).not.toContain(created.key);
  });

  it("revokes the key so that it gets 401 at once, and list shows it revoked", async () => {
    const result = await run(["revoke", created.id]);
    expect(result.code).toBe(0);
    expect(result.out.join("\n")).toContain(created.id);
    expect(await statusWith(created.key)).toBe(401);
    const listed = await run(["list"]);
    expect(listed.out.find((line) => line.startsWith(created.id))).toMatch(/\syes$/);
  });

  it("exits 2 naming OAUTH_URL or OAUTH_ADMIN_KEY when one is missing", async () => {
    const noUrl = await run(["list"], { OAUTH_ADMIN_KEY: adminKey });
    expect(noUrl.code).toBe(2);
    expect(noUrl.err.join("\n")).toContain("OAUTH_URL");
    const noKey = await run(["list"], { OAUTH_URL: host.url });
    expect(noKey.code).toBe(2);
    expect(noKey.err.join("\n")).toContain("OAUTH_ADMIN_KEY");
  });

  it("exits 1 with the server's validation details for a bad role", async () => {
    const result = await run(["create", "--role", "root", "--org", "acme", "--name", "bad"]);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([]);
    expect(result.err[0]).toBe("validation_failed: The request is not valid; see details");
    expect(result.err.some((line) => /^\s+role: /.test(line))).toBe(true);
  });

  it("exits 1 with the server's error for an unknown key id and for a refused admin key", async () => {
    const unknown = await run(["revoke", "00000000-0000-0000-0000-000000000000"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err[0]).toMatch(/^key_not_found: /);
    const refused = await run(["list"], { ...env, OAUTH_ADMIN_KEY: `${adminKey}x` });
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toMatch(/^unauthorized: /);
  });

  it("exits 1 naming the URL when the service cannot be reached", async () => {
    const closedUrl = `http://127.0.0.1:${await findFreePort()}`;
    const result = await run(["list"], { ...env, OAUTH_URL: closedUrl });
    expect(result.code).toBe(1);
    expect(result.err.join("\n")).toContain(`${closedUrl}/api/oauth/keys`);
  });

  it("prints usage for help and no arguments, and exits 2 for unknown commands or missing options", async () => {
    for (const argv of [[], ["help"]]) {
      const result = await run(argv, {});
      expect(result.code).toBe(0);
      expect(result.out.join("\n")).toContain("create --role <admin|workflow>");
    }
    expect((await run(["rotate"])).code).toBe(2);
    expect((await run(["create", "--role", "admin"])).err[0]).toBe("Error: create needs --org, --name");
    expect((await run(["list", "--colour"])).code).toBe(2);
    expect((await run(["revoke"])).code).toBe(2);
  });

  it("never prints the admin key", () => {
    expect(printed.length).toBeGreaterThan(0);
    expect(printed.filter((line) => line.includes(adminKey))).toEqual([]);
  });
});
