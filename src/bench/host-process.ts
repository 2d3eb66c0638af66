import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

const READY_LINE = "OAuth Helper is listening on";
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** The service running as `node dist/local/main.js` in a process of its own. */
export interface HostProcess {
  url: string;
  pid: number | undefined;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** What to start: the project folder, the settings, and where its output goes. */
export interface HostOptions {
  projectDir: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/** Starts the host and waits for its "listening" line; the host's log goes to `logFile`. */
export async function startHostProcess(options: HostOptions): Promise<HostProcess> {
  // A file, not a pipe: the host logs a line per credentials read, and a pipe would tie its writes to our event loop.
  const log = openSync(options.logFile, "a");
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "dist/local/main.js"], {
    cwd: options.projectDir,
    env: { ...inheritedEnv(), ...options.env, PORT: String(options.port) },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const host: HostProcess = { url: `http://127.0.0.1:${options.port}`, pid: child.pid, stop: () => stopChild(child) };
  try {
    await waitForReady(child, options.logFile);
  } catch (error) {
    await host.stop();
    throw error;
  }
  return host;
}

// The user's own service settings (a Key Vault, telemetry, a schedule) must not leak into a reproducible bench.
function inheritedEnv(): Record<string, string> {
  const skip = /^(OAUTH_|KEY_VAULT_URL$|APPLICATIONINSIGHTS_|AzureWebJobsStorage$|LOCAL_|PORT$)/;
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !skip.test(entry[0])));
}

async function waitForReady(child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const output = await readFile(logFile, "utf8");
    if (output.includes(READY_LINE)) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`The host exited before listening:\n${tail(output)}`);
    await sleep(50);
  }
  throw new Error(`The host did not print "${READY_LINE}" within ${START_TIMEOUT_MS / 1000} s:\n${tail(await readFile(logFile, "utf8"))}`);
}

const tail = (text: string) => text.split("\n").slice(-20).join("\n");

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timeout = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timeout);
}
