import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../clock.js";
import { parseNcrontab } from "../timer/ncrontab.js";
import { startTimerScheduler, type TimerScheduler } from "./timer-scheduler.js";

const MINUTE = 60_000;

/** A promise the test settles by hand, to hold a run open. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe("startTimerScheduler with vitest's fake timers", () => {
  const clock = { now: () => new Date() };
  let scheduler: TimerScheduler | undefined;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-03-10T08:10:00Z"));
  });

  afterEach(() => {
    scheduler?.stop();
    scheduler = undefined;
    vi.useRealTimers();
  });

  it("runs a timer at each of its occurrences", async () => {
    const runs: string[] = [];
    scheduler = startTimerScheduler(
      [{ name: "halfHourly", schedule: parseNcrontab("0 */30 * * * *"), run: async () => void runs.push(clock.now().toISOString()) }],
      { clock, onError: () => {} },
    );

    await vi.advanceTimersByTimeAsync(20 * MINUTE - 1);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual(["2026-03-10T08:30:00.000Z"]);
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(runs).toEqual(["2026-03-10T08:30:00.000Z", "2026-03-10T09:00:00.000Z", "2026-03-10T09:30:00.000Z"]);
  });

  it("runs several timers independently", async () => {
    const runs: string[] = [];
    scheduler = startTimerScheduler(
      [
        { name: "tens", schedule: parseNcrontab("*/10 * * * * *"), run: async () => void runs.push("tens") },
        { name: "minutes", schedule: parseNcrontab("0 * * * * *"), run: async () => void runs.push("minutes") },
      ],
      { clock, onError: () => {} },
    );

    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(runs.filter((name) => name === "tens")).toHaveLength(6);
    expect(runs.filter((name) => name === "minutes")).toHaveLength(1);
  });

  it("skips occurrences that arrive while the previous run is still going", async () => {
    const hold = deferred();
    const starts: string[] = [];
    const run = vi.fn(async () => {
      starts.push(clock.now().toISOString());
      if (starts.length === 1) await hold.promise;
    });
    scheduler = startTimerScheduler([{ name: "slow", schedule: parseNcrontab("*/10 * * * * *"), run }], { clock, onError: () => {} });

    await vi.advanceTimersByTimeAsync(10_000);
    expect(starts).toEqual(["2026-03-10T08:10:10.000Z"]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(run).toHaveBeenCalledTimes(1);

    hold.resolve();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(starts).toEqual(["2026-03-10T08:10:10.000Z", "2026-03-10T08:10:40.000Z"]);
  });

  it("reports a failed run and still runs the next occurrence", async () => {
    const errors: Array<[string, unknown]> = [];
    const failure = new Error("token refresh failed");
    const run = vi
      .fn<() => Promise<void>>()
      .mockRejectedValueOnce(failure)
      .mockResolvedValue(undefined);
    scheduler = startTimerScheduler([{ name: "refresh", schedule: parseNcrontab("0 * * * * *"), run }], {
      clock,
      onError: (name, error) => errors.push([name, error]),
    });

    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(errors).toEqual([["refresh", failure]]);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(run).toHaveBeenCalledTimes(2);
    expect(errors).toHaveLength(1);
  });

  it("reports a run that throws before returning a promise", async () => {
    const errors: string[] = [];
    const run = (): Promise<void> => {
      throw new Error("sync failure");
    };
    scheduler = startTimerScheduler([{ name: "sync", schedule: parseNcrontab("0 * * * * *"), run }], {
      clock,
      onError: (name) => errors.push(name),
    });

    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(errors).toEqual(["sync", "sync"]);
  });

  it("reports a schedule that never occurs and keeps running the other timers", async () => {
    const errors: string[] = [];
    const run = vi.fn(async () => {});
    scheduler = startTimerScheduler(
      [
        { name: "never", schedule: parseNcrontab("0 0 0 30 2 *"), run: async () => {} },
        { name: "minutely", schedule: parseNcrontab("0 * * * * *"), run },
      ],
      { clock, onError: (name) => errors.push(name) },
    );

    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(errors).toEqual(["never"]);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("runs nothing more after stop and leaves no timers behind", async () => {
    const run = vi.fn(async () => {});
    scheduler = startTimerScheduler([{ name: "minutely", schedule: parseNcrontab("0 * * * * *"), run }], { clock, onError: () => {} });

    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(run).toHaveBeenCalledTimes(1);
    scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("does not wait for a run in progress when stopped, and schedules nothing after it finishes", async () => {
    const hold = deferred();
    const run = vi.fn(() => hold.promise);
    scheduler = startTimerScheduler([{ name: "slow", schedule: parseNcrontab("0 * * * * *"), run }], { clock, onError: () => {} });

    await vi.advanceTimersByTimeAsync(MINUTE);
    scheduler.stop();
    hold.resolve();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(run).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("startTimerScheduler with injected timer functions", () => {
  /** A setTimeout that only records; the test fires callbacks itself. */
  function fakeTimers() {
    const pending = new Map<number, { callback: () => void; ms: number }>();
    let nextId = 1;
    return {
      pending,
      setTimeout(callback: () => void, ms: number): number {
        pending.set(nextId, { callback, ms });
        return nextId++;
      },
      clearTimeout(handle: unknown): void {
        pending.delete(handle as number);
      },
      /** Fires every pending callback once, as if its delay had passed. */
      fireAll(): void {
        const due = [...pending.entries()];
        pending.clear();
        for (const [, { callback }] of due) callback();
      },
    };
  }

  it("waits at most an hour at a time and re-checks the clock before a distant occurrence", () => {
    const clock = new ManualClock("2026-03-10T00:00:00Z");
    const timers = fakeTimers();
    const run = vi.fn(async () => {});
    startTimerScheduler([{ name: "daily", schedule: parseNcrontab("0 0 9 * * *"), run }], { clock, onError: () => {}, ...timers });

    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([60 * MINUTE]);
    clock.advance(60 * MINUTE);
    timers.fireAll();
    expect(run).not.toHaveBeenCalled();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([60 * MINUTE]);

    clock.set("2026-03-10T08:45:00Z");
    timers.fireAll();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([15 * MINUTE]);
    clock.set("2026-03-10T09:00:00Z");
    timers.fireAll();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("re-arms instead of running when its timer fires before the clock reaches the occurrence", () => {
    const clock = new ManualClock("2026-03-10T08:59:00Z");
    const timers = fakeTimers();
    const run = vi.fn(async () => {});
    startTimerScheduler([{ name: "hourly", schedule: parseNcrontab("0 0 * * * *"), run }], { clock, onError: () => {}, ...timers });

    clock.set("2026-03-10T08:59:59.500Z");
    timers.fireAll();
    expect(run).not.toHaveBeenCalled();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([500]);
  });

  it("runs once, not once per missed occurrence, after the clock jumps far ahead", () => {
    const clock = new ManualClock("2026-03-10T08:59:00Z");
    const timers = fakeTimers();
    const run = vi.fn(async () => {});
    startTimerScheduler([{ name: "minutely", schedule: parseNcrontab("0 * * * * *"), run }], { clock, onError: () => {}, ...timers });

    clock.set("2026-03-10T12:00:30Z");
    timers.fireAll();
    expect(run).toHaveBeenCalledTimes(1);
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([30_000]);
  });

  it("clears its pending timers through the injected clearTimeout on stop", () => {
    const clock = new ManualClock("2026-03-10T08:59:00Z");
    const timers = fakeTimers();
    const scheduler = startTimerScheduler(
      [
        { name: "a", schedule: parseNcrontab("0 * * * * *"), run: async () => {} },
        { name: "b", schedule: parseNcrontab("0 0 * * * *"), run: async () => {} },
      ],
      { clock, onError: () => {}, ...timers },
    );

    expect(timers.pending.size).toBe(2);
    scheduler.stop();
    expect(timers.pending.size).toBe(0);
  });
});
