import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createFixture } from "./bench-setup.js";
import { parseBenchOptions, USAGE, type BenchOptions } from "./bench-options.js";
import { startStack, type Cleanup } from "./bench-stack.js";
import { findAzuritePid, startCpuAccounting, type WatchedPids } from "./cpu-usage.js";
import { measure, warmUp, type PhasePlan } from "./load.js";
import { runRefreshPhase } from "./refresh-bench.js";
import { formatRefreshReport, type RefreshPlan, type RefreshResult } from "./refresh-report.js";
import { describeMachine, formatReport, levelResult, type LevelResult, type MachineInfo, type MeasuredPhase } from "./report.js";
import { credentialsRoute, storageFloor, type Target } from "./targets.js";

const ORG = "bench";
const CONNECTIONS = 20;
const PROJECT_DIR = fileURLToPath(new URL("../../", import.meta.url));
// Expires inside the default 240-minute refresh window but outside the 300 s refresh on read.
const REFRESH_EXPIRES_IN_SECONDS = 600;
const REFRESH_CREATE_PARALLEL = 16;

/** `npm run bench`: the credentials route against its storage floor at several concurrency levels, then the refresh job. */
async function main(cleanups: Cleanup[]): Promise<void> {
  const options = parseBenchOptions();
  if (options.help) return void console.log(USAGE);
  const machine = describeMachine();
  const hostNodeArgs = options.hostCpuProfileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", options.hostCpuProfileDir];

  let credentials: CredentialsOutcome | undefined;
  if (options.credentials) {
    credentials = await runCredentialsLevels(options, machine, hostNodeArgs, cleanups);
    // Each phase has the machine to itself: stop this stack before the next one starts.
    await stopAll(cleanups);
  }
  let refresh: RefreshResult | undefined;
  if (options.refresh) {
    const plan: RefreshPlan = {
      connections: options.refreshConnections,
      concurrency: options.refreshConcurrency,
      latencyMs: options.refreshLatencyMs,
      expiresInSeconds: REFRESH_EXPIRES_IN_SECONDS,
      createParallel: REFRESH_CREATE_PARALLEL,
    };
    refresh = await runRefreshPhase(plan, { projectDir: PROJECT_DIR, hostNodeArgs, onStarted: (stop) => cleanups.push(stop) });
    if (!options.credentials) console.log(`\nMachine: ${machine.cpuModel}, ${machine.cpuCount} CPUs, Node ${machine.node}, ${machine.date}`);
    console.log(`\n${formatRefreshReport(refresh)}\n`);
  }

  if (options.json !== undefined) {
    const output = { machine, settings: credentials?.settings, results: credentials?.results, refresh };
    await writeFile(options.json, `${JSON.stringify(output, null, 2)}\n`);
    console.log(`results written to ${options.json}`);
  }
  if (refresh !== undefined && refresh.problems.length > 0) throw new Error(`the refresh run did not do what it should: ${refresh.problems.join("; ")}`);
}

interface CredentialsOutcome {
  settings: Record<string, number | number[]>;
  results: LevelResult[];
}

async function runCredentialsLevels(options: BenchOptions, machine: MachineInfo, hostNodeArgs: string[], cleanups: Cleanup[]): Promise<CredentialsOutcome> {
  const { levels, warmup, durationMs } = options;
  const stack = await startStack(PROJECT_DIR, (stop) => cleanups.push(stop), { hostNodeArgs });
  console.log(`host pid ${stack.host.pid} on ${stack.host.url}; creating ${CONNECTIONS} connections in org ${ORG}`);
  const fixture = await createFixture(stack.host.url, stack.adminKey, ORG, CONNECTIONS, stack.token.url);
  const granted = stack.token.granted();
  const floor = storageFloor(stack.connectionString, fixture);
  cleanups.push(() => floor.close());
  const pids: WatchedPids = { host: stack.host.pid, azurite: findAzuritePid(stack.azuritePort) };

  const results: LevelResult[] = [];
  for (const concurrency of levels) {
    const plan: PhasePlan = { concurrency, warmup, durationMs };
    const route = credentialsRoute(stack.host.url, fixture, concurrency);
    try {
      const routeStats = await runPhase(route, plan, pids);
      const floorStats = await runPhase(floor, plan, pids);
      results.push(levelResult(routeStats, floorStats));
      console.log(`level ${concurrency}: route p99 ${routeStats.p99Ms} ms (${routeStats.rps}/s), floor p99 ${floorStats.p99Ms} ms (${floorStats.rps}/s)`);
    } finally {
      await route.close();
    }
  }
  const refreshes = stack.token.granted() - granted;
  if (refreshes !== 0) console.log(`warning: the token endpoint granted ${refreshes} tokens during the bench`);

  console.log(`\n${formatReport(machine, results)}\n`);
  return { settings: { connections: CONNECTIONS, levels, warmup, secondsPerPhase: durationMs / 1000, tokenRequestsDuringBench: refreshes }, results };
}

async function runPhase(target: Target, plan: PhasePlan, pids: WatchedPids): Promise<MeasuredPhase> {
  await warmUp(target.operation, plan);
  const cpu = startCpuAccounting(pids);
  const stats = await measure(target.operation, plan);
  return { ...stats, cpu: cpu() };
}

async function stopAll(cleanups: Cleanup[]): Promise<void> {
  for (const stop of cleanups.splice(0).reverse()) {
    await stop().catch((error: unknown) => console.error(`cleanup failed: ${(error as Error).message}`));
  }
}

const cleanups: Cleanup[] = [];
// Ctrl-C also reaches the host (same process group); stopping it again is a no-op.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopAll(cleanups).finally(() => process.exit(130)));
}
main(cleanups)
  .catch((error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => stopAll(cleanups));
