import { createConnections } from "./bench-setup.js";
import { startStack, type Cleanup } from "./bench-stack.js";
import { findAzuritePid, startCpuAccounting } from "./cpu-usage.js";
import { refreshResult, type RefreshPlan, type RefreshResult } from "./refresh-report.js";
import { readRefreshStatus, triggerRefreshRun, waitForRun } from "./refresh-trigger.js";

const ORG = "bench-refresh";
// Never within a bench (midnight of 1 January), so the only run is the one the bench triggers.
const QUIET_SCHEDULE = "0 0 0 1 1 *";
const MIN_WAIT_MS = 120_000;

/** The refresh phase's options, besides the plan itself. */
export interface RefreshPhaseOptions {
  projectDir: string;
  hostNodeArgs: string[];
  onStarted: (stop: Cleanup) => void;
}

/**
 * The refresh phase: a stack of its own whose host has the plan's OAUTH_REFRESH_CONCURRENCY, N
 * connections whose tokens expire inside the refresh window, then one triggered run of
 * oauthRefreshTimer against a token endpoint that takes `latencyMs` per request.
 */
export async function runRefreshPhase(plan: RefreshPlan, options: RefreshPhaseOptions): Promise<RefreshResult> {
  const stack = await startStack(options.projectDir, options.onStarted, {
    hostNodeArgs: options.hostNodeArgs,
    hostEnv: { OAUTH_REFRESH_CONCURRENCY: String(plan.concurrency), OAUTH_REFRESH_SCHEDULE: QUIET_SCHEDULE },
  });
  const { host, token, adminKey } = stack;
  console.log(`refresh: host pid ${host.pid} on ${host.url}; creating ${plan.connections} connections in org ${ORG}, ${plan.createParallel} at a time`);

  // Set-up grants answer at once, so creating the connections does not take N × latency.
  token.behave({ expiresInSeconds: plan.expiresInSeconds, latencyMs: 0 });
  const setupStarted = Date.now();
  const names = Array.from({ length: plan.connections }, (_, index) => `refresh-${String(index + 1).padStart(4, "0")}`);
  await createConnections(host.url, adminKey, ORG, names, token.url, plan.createParallel);
  const setupSeconds = Math.round((Date.now() - setupStarted) / 100) / 10;
  const before = await readRefreshStatus(host.url, adminKey);
  if (before.last_run !== null) throw new Error(`A refresh run happened before the trigger: ${JSON.stringify(before.last_run)}`);

  token.behave({ expiresInSeconds: plan.expiresInSeconds, latencyMs: plan.latencyMs });
  token.resetPeak();
  const grantedBefore = token.granted();
  const cpu = startCpuAccounting({ host: host.pid, azurite: findAzuritePid(stack.azuritePort) });
  const triggeredAt = Date.now();
  await triggerRefreshRun(host.url, adminKey);
  const idealMs = (plan.connections * plan.latencyMs) / plan.concurrency;
  const { run, seenAtMs } = await waitForRun(host.url, adminKey, triggeredAt, Math.max(MIN_WAIT_MS, 20 * idealMs));
  const cpuShare = cpu();

  return refreshResult(plan, {
    run,
    wallMs: seenAtMs - triggeredAt,
    tokenRequests: token.granted() - grantedBefore,
    peakInFlight: token.peakInFlight(),
    cpu: cpuShare,
    setupSeconds,
  });
}
