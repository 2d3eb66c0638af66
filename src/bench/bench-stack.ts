import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePort, startAzuriteTables } from "../local/azurite.js";
import { startHostProcess, type HostProcess } from "./host-process.js";
import { startTokenEndpoint, type TokenEndpoint } from "./token-endpoint.js";

/** Everything a run needs running: Azurite, a token endpoint, and the service in its own process. */
export interface BenchStack {
  connectionString: string;
  azuritePort: number;
  token: TokenEndpoint;
  host: HostProcess;
  adminKey: string;
  hostLogFile: string;
}

/** Stops what was started, newest first; safe to call more than once. */
export type Cleanup = () => Promise<void>;

/** What a phase changes about the host: node flags (e.g. --cpu-prof) and service settings of its own. */
export interface StackOptions {
  hostNodeArgs?: string[];
  hostEnv?: Record<string, string>;
}

/**
 * Starts the stack under a fresh temp folder. Every part is registered with `onStarted` as soon as
 * it runs, so a failure half-way still stops what was started.
 */
export async function startStack(projectDir: string, onStarted: (stop: Cleanup) => void, options: StackOptions = {}): Promise<BenchStack> {
  const dir = await mkdtemp(join(tmpdir(), "oauth-helper-bench-"));
  onStarted(() => rm(dir, { recursive: true, force: true }));
  const azurite = await startAzuriteTables({ location: join(dir, "azurite") });
  onStarted(() => azurite.stop());
  const token = await startTokenEndpoint();
  onStarted(() => token.close());

  const adminKey = `bench_${randomBytes(32).toString("base64url")}`;
  const hostLogFile = join(dir, "host.log");
  const host = await startHostProcess({
    projectDir,
    port: await findFreePort(),
    logFile: hostLogFile,
    nodeArgs: options.hostNodeArgs ?? [],
    env: {
      ...options.hostEnv,
      AzureWebJobsStorage: azurite.connectionString,
      LOCAL_DATA_DIR: join(dir, "data"),
      LOCAL_SECRET_KEY: randomBytes(32).toString("base64"),
      OAUTH_BOOTSTRAP_ADMIN_KEY: adminKey,
      OAUTH_ALLOW_INSECURE_LOOPBACK: "true",
    },
  });
  onStarted(() => host.stop());
  return { connectionString: azurite.connectionString, azuritePort: azurite.port, token, host, adminKey, hostLogFile };
}
