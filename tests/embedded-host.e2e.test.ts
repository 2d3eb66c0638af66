import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../src/local/azurite.js";
import { cleanUpProcesses, environment, freshDir, http, outputs, spawnMain, startMain, STOP_TIMEOUT_MS, stopMain, type Started } from "./support/main-process.js";

const KEY_PATTERN = /ohk_[A-Za-z0-9_-]{43}/g;

/** The Azurite port main logged, so a test can check that Azurite went away with it. */
function azuritePort(stdout: string): number {
  const line = stdout.split("\n").find((text) => text.includes("embedded Azurite Table service started"));
  return (JSON.parse(line!) as { port: number }).port;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}


describe("npm start: the embedded host over real HTTP", () => {
  const clientSecret = `e2e-client-secret-${randomBytes(12).toString("hex")}`;
  let env: Record<string, string>;
  let first: Started;
  let adminKey: string;

  const connectionBody = {
    connection_name: "graph",
    oauth_flow_type: "authorization_code",
    client_id: "client-123",
    client_secret: clientSecret,
    authorization_url: "https://login.microsoftonline.com/tenant/oauth2/v2.0/authorize",
    token_url: "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
    scopes: "openid offline_access, Mail.Read",
  };

  beforeAll(async () => {
    env = environment({ LOCAL_DATA_DIR: await freshDir("data"), PORT: String(await findFreePort()) });
    first = await startMain(env);
  }, 90_000);

  afterAll(cleanUpProcesses);

  it("first start prints the base URL and a GLOBAL admin key, and /api/health answers 200 ok", async () => {
    expect(first.baseUrl).toBe(`http://127.0.0.1:${env.PORT}`);
    const keys = first.banner.match(KEY_PATTERN) ?? [];
    expect(keys).toHaveLength(1);
    adminKey = keys[0]!;
    expect(first.banner).toContain("shown only this once");
    // Shown once: the key appears nowhere else in the output (not in log lines).
    expect(first.stdout().split(adminKey)).toHaveLength(2);
    expect(first.stderr()).not.toContain(adminKey);

    const health = await http(first.baseUrl, "GET", "/api/health");
    expect(health).toMatchObject({ status: 200, json: { status: "ok" } });
    const listed = await http(first.baseUrl, "GET", "/api/oauth/keys", { key: adminKey });
    expect(listed.status).toBe(200);
    expect(listed.json?.keys).toEqual([expect.objectContaining({ role: "admin", org_id: "GLOBAL", created_by: "first-start", revoked: false })]);
  });

  it("creates, lists and reads a connection with that key; unknown routes get 404 JSON and wrong methods 405 with Allow", async () => {
    const created = await http(first.baseUrl, "POST", "/api/oauth/connections", { key: adminKey, org: "acme", body: connectionBody });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      connection_name: "graph",
      org_id: "acme",
      status: "not_connected",
      client_secret_set: true,
      redirect_uri: `http://localhost:${env.PORT}/api/oauth/callback/graph`,
    });
    const listed = await http(first.baseUrl, "GET", "/api/oauth/connections", { key: adminKey, org: "acme" });
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ count: 1, connections: [expect.objectContaining({ connection_name: "graph", org_id: "acme" })] });
    const read = await http(first.baseUrl, "GET", "/api/oauth/connections/graph", { key: adminKey, org: "acme" });
    expect(read).toMatchObject({ status: 200, json: { connection_name: "graph", client_id: "client-123" } });
    expect(JSON.stringify([created.json, listed.json, read.json])).not.toContain(clientSecret);

    const unknown = await http(first.baseUrl, "GET", "/api/no/such/route", { key: adminKey });
    expect(unknown).toMatchObject({ status: 404, json: { error: "route_not_found" } });
    expect(unknown.headers.get("content-type")).toMatch(/^application\/json/);
    const wrongMethod = await http(first.baseUrl, "PATCH", "/api/health");
    expect(wrongMethod).toMatchObject({ status: 405, json: { error: "method_not_allowed" } });
    expect(wrongMethod.headers.get("allow")).toBe("GET");
  });

  it("runs admin functions only with the admin key in x-functions-key: an unknown one gets 404, no key 401", async () => {
    const withKey = await http(first.baseUrl, "POST", "/admin/functions/doesNotExist", { headers: { "x-functions-key": adminKey } });
    expect(withKey).toMatchObject({ status: 404, json: { error: "function_not_found" } });
    const withoutKey = await http(first.baseUrl, "POST", "/admin/functions/doesNotExist");
    expect(withoutKey).toMatchObject({ status: 401, json: { error: "unauthorized" } });
  });

  // The three independent start-ups below run side by side (one concurrent group); each stop may take seconds.
  it.concurrent(
    "SIGTERM stops it with exit 0; a restart on the same data dir prints no new key and keeps the key and the connection; SIGINT too",
    async ({ expect }) => {
      const expectDataKept = async (started: Started) => {
        expect(started.stdout()).not.toMatch(KEY_PATTERN);
        const read = await http(started.baseUrl, "GET", "/api/oauth/connections/graph", { key: adminKey, org: "acme" });
        expect(read.status).toBe(200);
        expect(read.json).toMatchObject({ connection_name: "graph", org_id: "acme", client_secret_set: true });
      };
      const azurite = azuritePort(first.stdout());
      expect(await stopMain(first, "SIGTERM")).toEqual({ code: 0, signal: null });
      // Azurite saves on its own shutdown; a survivor would be a second writer on the data folder.
      expect(await portAnswers(azurite)).toBe(false);

      const second = await startMain(env);
      await expectDataKept(second);
      expect(await stopMain(second, "SIGINT")).toEqual({ code: 0, signal: null });

      const third = await startMain(env);
      await expectDataKept(third);
      expect(await stopMain(third, "SIGTERM")).toEqual({ code: 0, signal: null });
    },
    3 * STOP_TIMEOUT_MS + 15_000,
  );

  it.concurrent("OAUTH_BOOTSTRAP_ADMIN_KEY pins the key: a fresh start prints no generated key and accepts the pinned one", async ({ expect }) => {
    const pinned = `pinned-${randomBytes(24).toString("hex")}`;
    const started = await startMain(
      environment({ LOCAL_DATA_DIR: await freshDir("pinned"), PORT: String(await findFreePort()), OAUTH_BOOTSTRAP_ADMIN_KEY: pinned }),
    );
    try {
      expect(started.stdout()).not.toMatch(KEY_PATTERN);
      expect(started.stdout() + started.stderr()).not.toContain(pinned);
      const listed = await http(started.baseUrl, "GET", "/api/oauth/keys", { key: pinned });
      expect(listed).toMatchObject({ status: 200, json: { keys: [] } });
      expect((await http(started.baseUrl, "GET", "/api/oauth/keys", { key: `${pinned}x` })).status).toBe(401);
    } finally {
      expect(await stopMain(started, "SIGTERM")).toEqual({ code: 0, signal: null });
    }
  });

  it.concurrent.for([
    ["PORT", "not-a-number"],
    ["OAUTH_STATE_TTL_MINUTES", "0"],
  ])("a bad setting (%s=%s) makes start-up exit non-zero with a message naming the setting", async ([name, value], { expect }) => {
    const started = spawnMain(environment({ LOCAL_DATA_DIR: await freshDir("bad"), PORT: String(await findFreePort()), [name!]: value! }));
    const exit = await started.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(started.stderr()).toContain(`${name} must be`);
    expect(started.stdout()).not.toContain("listening");
  });

  it("never writes the client secret to stdout or stderr of any start", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    expect(outputs.filter((output) => output().includes(clientSecret))).toHaveLength(0);
  });
});
