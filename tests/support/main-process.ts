import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Runs `node dist/local/main.js` as `npm start` does; tests/setup/build.global.ts builds dist once per run.
const ROOT = resolve(import.meta.dirname, "../..");
const START_TIMEOUT_MS = 30_000;
export const STOP_TIMEOUT_MS = 15_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `node dist/local/main.js` process and everything it has written so far. */
export interface Started {
  child: ChildProcess;
  baseUrl: string;
  /** The block printed after start-up (listening line and, on a first start, the key). */
  banner: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

export const children: ChildProcess[] = [];
export const outputs: Array<() => string> = [];
const tempDirs: string[] = [];

export function environment(overrides: Record<string, string>): Record<string, string> {
  // Only what a person's shell would give; no AzureWebJobsStorage, so main starts its own Azurite.
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME"]) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...overrides };
}

export function spawnMain(env: Record<string, string>): Omit<Started, "baseUrl" | "banner"> {
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
export async function startMain(env: Record<string, string>): Promise<Started> {
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
export async function stopMain(started: Started, signal: NodeJS.Signals): Promise<Exit> {
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

export async function http(baseUrl: string, method: string, path: string, options: { key?: string; org?: string; body?: unknown; headers?: Record<string, string> } = {}) {
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

export async function freshDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `oauth-helper-e2e-${label}-`));
  tempDirs.push(dir);
  return dir;
}


/** Kills what is still running and removes the temporary folders. */
export async function cleanUpProcesses(): Promise<void> {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
