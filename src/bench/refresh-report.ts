import type { CpuShare } from "./cpu-usage.js";
import type { RefreshRun } from "./refresh-trigger.js";

/** What the refresh phase set up: connections, the job's concurrency, and the token endpoint's behaviour. */
export interface RefreshPlan {
  connections: number;
  concurrency: number;
  latencyMs: number;
  expiresInSeconds: number;
  createParallel: number;
}

/** What one triggered run measured, as reported by the run itself and as seen from outside. */
export interface RefreshObservation {
  run: RefreshRun;
  /** From just before the trigger to the first status poll that showed the run. */
  wallMs: number;
  tokenRequests: number;
  peakInFlight: number;
  cpu: CpuShare;
  setupSeconds: number;
}

/** The refresh phase's figures; durations in milliseconds. */
export interface RefreshResult extends RefreshPlan, RefreshObservation {
  connectionsPerSecond: number;
  /** N × latency ÷ concurrency: the provider's waiting alone, perfectly overlapped. Null without latency. */
  idealMs: number | null;
  durationToIdeal: number | null;
  /** duration ÷ N: the amortised cost the seed bar (2 s per connection) is about. */
  msPerConnection: number;
  /** duration × concurrency ÷ N (Little's law): how long one connection's refresh took on average. */
  meanRefreshMs: number;
  hostCpuMsPerConnection: number;
  azuriteCpuMsPerConnection: number;
  /** Checks that failed; empty when the run did what it should. */
  problems: string[];
}

const SEED_BAR_MS = 2000;

/** Derives the figures and checks the counts against the plan. */
export function refreshResult(plan: RefreshPlan, seen: RefreshObservation): RefreshResult {
  const n = plan.connections;
  const duration = seen.run.duration_ms;
  const idealMs = plan.latencyMs === 0 ? null : (n * plan.latencyMs) / plan.concurrency;
  const cpuMs = (percent: number) => round(((percent / 100) * seen.wallMs) / n, 2);
  const problems = [
    seen.run.checked !== n && `checked ${seen.run.checked}, expected ${n}`,
    seen.run.refreshed !== n && `refreshed ${seen.run.refreshed}, expected ${n}`,
    seen.run.failed !== 0 && `failed ${seen.run.failed}, expected 0`,
    seen.tokenRequests !== n && `the token endpoint saw ${seen.tokenRequests} requests, expected ${n}`,
    seen.peakInFlight > plan.concurrency && `${seen.peakInFlight} token requests in flight at once, more than the concurrency ${plan.concurrency}`,
  ].filter((problem): problem is string => problem !== false);
  return {
    ...plan,
    ...seen,
    connectionsPerSecond: round((n / duration) * 1000, 1),
    idealMs,
    durationToIdeal: idealMs === null ? null : round(duration / idealMs, 2),
    msPerConnection: round(duration / n, 2),
    meanRefreshMs: round((duration * plan.concurrency) / n, 1),
    hostCpuMsPerConnection: cpuMs(seen.cpu.host),
    azuriteCpuMsPerConnection: cpuMs(seen.cpu.azurite),
    problems,
  };
}

/** The phase as printed at the end of a run. */
export function formatRefreshReport(r: RefreshResult): string {
  const ideal = r.idealMs === null ? "none (no latency)" : `${r.idealMs} ms (${r.connections} × ${r.latencyMs} ms ÷ ${r.concurrency}); duration ÷ ideal ${r.durationToIdeal}×`;
  const bar = r.msPerConnection < SEED_BAR_MS ? "met" : "MISSED";
  return [
    `Refresh job: ${r.connections} expiring client_credentials connections, OAUTH_REFRESH_CONCURRENCY ${r.concurrency}, token endpoint latency ${r.latencyMs} ms`,
    `  run: duration ${r.run.duration_ms} ms (wall clock trigger → status ${r.wallMs} ms); checked ${r.run.checked}, refreshed ${r.run.refreshed}, failed ${r.run.failed}, skipped ${r.run.skipped}`,
    `  throughput: ${r.connectionsPerSecond} connections/s; ideal ${ideal}`,
    `  per connection: ${r.msPerConnection} ms amortised (seed bar < ${SEED_BAR_MS} ms: ${bar}), ${r.meanRefreshMs} ms per refresh on average`,
    `  token endpoint: ${r.tokenRequests} requests, at most ${r.peakInFlight} in flight`,
    `  cpu % of one core: host ${r.cpu.host}, azurite ${r.cpu.azurite}, bench ${r.cpu.bench}, other ${r.cpu.other}, steal ${r.cpu.steal}; per connection host ${r.hostCpuMsPerConnection} ms, azurite ${r.azuriteCpuMsPerConnection} ms`,
    `  set-up: ${r.setupSeconds} s to create the connections (${r.createParallel} at a time)`,
    ...r.problems.map((problem) => `  PROBLEM: ${problem}`),
  ].join("\n");
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
