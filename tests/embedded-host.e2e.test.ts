import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../src/local/azurite.js";

const ROOT = resolve(import.meta.dirname, "..");
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const KEY_PATTERN = /ohk_[A-Za-z0-9_-]{43}/g;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `node dist/local/main.js` process and everything it has written so far. */
interface Started {
  child: ChildProcess;
  baseUrl: string;
  /** The block printed after start-up (listening line and, on a first start, the key). */
  banner: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

const children: ChildProcess[] = [];
const outputs: Array<() => string> = [];
const tempDirs: string[] = [];

function environment(overrides: Record<string, string>): Record<string, string> {
  // Only what a person's shell would give; no AzureWebJobsStorage, so main starts its own Azurite.
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME"]) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...overrides };
}

function spawnMain(env: Record<string, string>): Omit<Started, "baseUrl" | "banner"> {
  const child = spawn(process.execPath, ["dist/local/main.js"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  outputs.push(() => stdout + stderr);
  const exited = new Promise<Exit>((done) => child.once("exit", (code, signal) => done({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Starts the host and waits for its banner; rejects with the output when it exits or hangs first. */
async function startMain(env: Record<string, string>): Promise<Started> {
  const started = spawnMain(env);
  // main writes the banner as one block ending in a blank line; the key lines, if any, sit inside it.
  const banner = /OAuth Helper is listening on (\S+)\/api[\s\S]*?\n\n/;
  const found = await new Promise<RegExpExecArray>((done, fail) => {
    const timer = setTimeout(() => {
      started.child.kill("SIGKILL");
      fail(new Error(`no banner within ${START_TIMEOUT_MS} ms:\n${started.stdout()}\n${started.stderr()}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      const match = banner.exec(started.stdout());
      if (match === null) return;
      clearTimeout(timer);
      started.child.stdout!.off("data", check);
      done(match);
    };
    started.child.stdout!.on("data", check);
    void started.exited.then((exit) => {
      clearTimeout(timer);
      fail(new Error(`exited (${exit.code ?? exit.signal}) before listening:\n${started.stdout()}\n${started.stderr()}`));
    });
  });
  return { ...started, baseUrl: found[1]!, banner: found[0] };
}

/** Sends a signal and resolves to the exit, failing if it takes longer than STOP_TIMEOUT_MS. */
async function stopMain(started: Started, signal: NodeJS.Signals): Promise<Exit> {
  started.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`still running ${STOP_TIMEOUT_MS} ms after ${signal}`)), STOP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([started.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function http(baseUrl: string, method: string, path: string, options: { key?: string; org?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.org !== undefined) headers["x-organization-id"] = options.org;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json: json as Record<string, unknown> | undefined };
}

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

/** `npm run build`, failing with the compiler's own output rather than just its exit code. */
async function build(): Promise<void> {
  try {
    await promisify(execFile)("npm", ["run", "build", "--silent"], { cwd: ROOT, timeout: 60_000 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${stdout}${stderr}`);
  }
}

async function freshDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `oauth-helper-e2e-${label}-`));
  tempDirs.push(dir);
  return dir;
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
    // Always build: dist may be stale against src, and the test is about what `npm start` runs.
    await build();
    env = environment({ LOCAL_DATA_DIR: await freshDir("data"), PORT: String(await findFreePort()) });
    first = await startMain(env);
  }, 90_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

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
