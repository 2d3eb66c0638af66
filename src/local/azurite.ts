import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { createRequire } from "node:module";

/** The well-known Azurite development account (public, documented by Microsoft). */
const ACCOUNT = "devstoreaccount1";
const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteTableService {
  connectionString: string;
  port: number;
  /** Stops Azurite the way that makes it save its data (SIGINT), and waits for it to exit. */
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Folder for Azurite's database file. */
  location: string;
  /** Port to listen on; a free one when omitted. */
  port?: number;
}

/**
 * Starts Azurite's Table service in a child process on 127.0.0.1, with telemetry off.
 * The child stops itself (saving its data) when this process goes away, so a crash of the host
 * never leaves a second writer on the same data folder.
 */
export async function startAzuriteTables(options: AzuriteOptions): Promise<AzuriteTableService> {
  await mkdir(options.location, { recursive: true });
  const port = options.port ?? (await findFreePort());
  const cliPath = createRequire(import.meta.url).resolve("azurite/dist/src/table/main.js");
  const args = ["--tableHost", "127.0.0.1", "--tablePort", String(port), "--location", options.location, "--silent", "--disableTelemetry"];
  // The CLI saves on SIGINT; a lost IPC channel (parent died) is turned into the same SIGINT.
  const bootstrap = [
    `process.argv.splice(1, 0, ${JSON.stringify(cliPath)});`,
    `process.on("disconnect", () => process.emit("SIGINT", "SIGINT"));`,
    `require(${JSON.stringify(cliPath)});`,
  ].join(" ");
  // Its own process group: a Ctrl-C in the terminal reaches us, and we stop Azurite exactly once.
  const child = spawn(process.execPath, ["-e", bootstrap, "--", ...args], { stdio: ["ignore", "pipe", "pipe", "ipc"], detached: true });
  await waitForStart(child, port);
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};` +
      `TableEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`,
    port,
    stop: () => stopChild(child),
  };
}

function waitForStart(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("successfully started")) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`Azurite exited before listening on port ${port} (code ${code}): ${output.trim()}`));
    };
    const cleanup = () => {
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      // Keep draining so a full pipe never blocks the child.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT");
  // The CLI closes its server on SIGINT but never exits; an open IPC channel alone would keep it alive.
  if (child.connected) child.disconnect();
  const timeout = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timeout);
}

/** Asks the OS for a port that is free right now on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
