/** Latency statistics of one measured phase; times in milliseconds. */
export interface PhaseStats {
  concurrency: number;
  requests: number;
  seconds: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  rps: number;
}

/** One request of a phase; `index` lets callers round-robin over targets. Throws on a wrong answer. */
export type Operation = (index: number) => Promise<void>;

/** A phase: `warmup` unrecorded operations, then `durationMs` of recorded ones, at `concurrency`. */
export interface PhasePlan {
  concurrency: number;
  warmup: number;
  durationMs: number;
}

/** Runs the plan's unrecorded operations: opens the connections and warms the caches and the JIT. */
export async function warmUp(operation: Operation, plan: PhasePlan): Promise<void> {
  let next = 0;
  await runWorkers(plan.concurrency, async (stop) => {
    while (!stop.failed && next < plan.warmup) await operation(next++);
  });
}

/** Closed-loop load: `concurrency` workers each issue the next operation as soon as the previous one answers. */
export async function measure(operation: Operation, plan: PhasePlan): Promise<PhaseStats> {
  let next = 0;
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(plan.durationMs) * 1_000_000n;
  let finished = started;
  await runWorkers(plan.concurrency, async (stop) => {
    while (!stop.failed) {
      const before = process.hrtime.bigint();
      if (before >= deadline) return;
      await operation(next++);
      const after = process.hrtime.bigint();
      samples.push(Number(after - before) / 1e6);
      if (after > finished) finished = after;
    }
  });
  return summarize(samples, plan.concurrency, Number(finished - started) / 1e9);
}

// One failing worker stops the others, so a broken phase ends at once instead of after its duration.
async function runWorkers(count: number, work: (stop: { failed: boolean }) => Promise<void>): Promise<void> {
  const stop = { failed: false };
  const results = await Promise.allSettled(
    Array.from({ length: count }, () =>
      work(stop).catch((error: unknown) => {
        stop.failed = true;
        throw error;
      }),
    ),
  );
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure !== undefined) throw failure.reason;
}

function summarize(samples: number[], concurrency: number, seconds: number): PhaseStats {
  const sorted = Float64Array.from(samples).sort();
  // Nearest rank: the value below which the given share of samples lies, never interpolated.
  const at = (share: number) => sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;
  return {
    concurrency,
    requests: sorted.length,
    seconds: round(seconds, 3),
    p50Ms: round(at(0.5), 3),
    p90Ms: round(at(0.9), 3),
    p99Ms: round(at(0.99), 3),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    rps: round(sorted.length / seconds, 0),
  };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
