import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createFixture } from "./bench-setup.js";
import { startStack, type Cleanup } from "./bench-stack.js";
import { findAzuritePid, startCpuAccounting, type WatchedPids } from "./cpu-usage.js";
import { measure, warmUp, type PhasePlan } from "./load.js";
import { describeMachine, formatReport, levelResult, type LevelResult, type MeasuredPhase } from "./report.js";
import { credentialsRoute, storageFloor, type Target } from "./targets.js";

const ORG = "bench";
const CONNECTIONS = 20;
const PROJECT_DIR = fileURLToPath(new URL("../../", import.meta.url));

const USAGE = `npm run bench -- [--json <file>] [--levels 1,4,16,64] [--seconds 3] [--warmup 200] [--host-cpu-prof <dir>]`;

/** `npm run bench`: the credentials route against its storage floor at several concurrency levels. */
async function main(cleanups: Cleanup[]): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      levels: { type: "string", default: "1,4,16,64" },
      seconds: { type: "string", default: "3" },
      warmup: { type: "string", default: "200" },
      "host-cpu-prof": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const levels = values.levels.split(",").map((level) => positive(level, "--levels"));
  const durationMs = positive(values.seconds, "--seconds") * 1000;
  const warmup = positive(values.warmup, "--warmup");
  const profile = values["host-cpu-prof"];
  const machine = describeMachine();

  const stack = await startStack(PROJECT_DIR, (stop) => cleanups.push(stop), profile === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profile]);
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
  if (values.json !== undefined) {
    const settings = { connections: CONNECTIONS, levels, warmup, secondsPerPhase: durationMs / 1000, tokenRequestsDuringBench: refreshes };
    await writeFile(values.json, `${JSON.stringify({ machine, settings, results }, null, 2)}\n`);
    console.log(`results written to ${values.json}`);
  }
}

async function runPhase(target: Target, plan: PhasePlan, pids: WatchedPids): Promise<MeasuredPhase> {
  await warmUp(target.operation, plan);
  const cpu = startCpuAccounting(pids);
  const stats = await measure(target.operation, plan);
  return { ...stats, cpu: cpu() };
}

function positive(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${option} takes positive integers, not "${text}"\n${USAGE}`);
  return value;
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
