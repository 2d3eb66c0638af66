import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { ConnectionRecord, ConnectionRepository } from "../storage/connection-repository.js";
import type { RefreshRunRecord, RefreshRunRepository } from "../storage/refresh-run-repository.js";
import type { TokenRefreshService } from "./token-refresh-service.js";

export type RunCounts = Pick<RefreshRunRecord, "checked" | "refreshed" | "failed" | "skipped">;

/** Receives each run's summary (telemetry). */
export type RunObserver = (run: RefreshRunRecord) => void;

/**
 * The scheduled refresh (DESIGN §6): every completed connection whose token expires within the
 * window, across all orgs, refreshed in parallel with bounded concurrency; failures stay with their
 * connection; each run leaves a RefreshRuns row.
 */
export class RefreshJob {
  constructor(
    private readonly deps: {
      connections: ConnectionRepository;
      refresh: TokenRefreshService;
      runs: RefreshRunRepository;
      logger: Logger;
      clock: Clock;
      settings: { refreshWindowMinutes: number; refreshConcurrency: number };
      onRun?: RunObserver;
    },
  ) {}

  async run(trigger: string): Promise<RefreshRunRecord> {
    const { clock, settings, logger } = this.deps;
    const started = clock.now();
    const startedMs = Date.now();
    const horizon = new Date(started.getTime() + settings.refreshWindowMinutes * 60_000).toISOString();
    const candidates = await this.deps.connections.listCompletedExpiringBefore(horizon);
    const counts: RunCounts = { checked: candidates.length, refreshed: 0, failed: 0, skipped: 0 };
    await forEachLimited(candidates, settings.refreshConcurrency, async (record) => {
      counts[await this.#refreshOne(record)] += 1;
    });
    const run: RefreshRunRecord = {
      trigger,
      started_at: started.toISOString(),
      finished_at: clock.now().toISOString(),
      duration_ms: Date.now() - startedMs,
      ...counts,
    };
    await this.deps.runs.append(run);
    logger.info("refresh run finished", { ...run });
    this.deps.onRun?.(run);
    return run;
  }

  async #refreshOne(record: ConnectionRecord): Promise<"refreshed" | "failed" | "skipped"> {
    try {
      const outcome = await this.deps.refresh.refresh({
        orgId: record.org_id,
        name: record.connection_name,
        observedVersion: record.tokens_version,
        trigger: "timer",
        actor: "refresh-timer",
      });
      if (outcome.kind === "refreshed") return "refreshed";
      if (outcome.kind === "failed") return "failed";
      return "skipped";
    } catch (error) {
      // One connection's outage or bug must not stop the others.
      this.deps.logger.error("refresh of a connection failed unexpectedly", {
        org_id: record.org_id,
        connection_name: record.connection_name,
        error_message: (error as Error).message,
      });
      return "failed";
    }
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
