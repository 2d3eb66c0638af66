import type { Clock } from "../clock.js";
import type { NcrontabSchedule } from "../timer/ncrontab.js";

/** A timer-triggered function as the embedded host runs it. */
export interface ScheduledTimer {
  name: string;
  schedule: NcrontabSchedule;
  run: () => Promise<void>;
}

/** What the scheduler needs from its surroundings; tests replace the clock and the timer functions. */
export interface TimerSchedulerOptions {
  clock: Clock;
  onError: (name: string, error: unknown) => void;
  // Method syntax on purpose: lets the Node globals (whose handle type is NodeJS.Timeout) be passed as they are.
  setTimeout?(callback: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
  /** Longest single wait before re-checking the clock; defaults to one hour. */
  maxDelayMs?: number;
}

/** A running scheduler. */
export interface TimerScheduler {
  stop(): void;
}

const ONE_HOUR_MS = 60 * 60 * 1000;

interface Entry {
  timer: ScheduledTimer;
  due: Date;
  handle: unknown;
  running: boolean;
}

/** Runs each timer at its NCRONTAB occurrences until stopped, one run per timer at a time. */
export function startTimerScheduler(timers: ScheduledTimer[], options: TimerSchedulerOptions): TimerScheduler {
  // Resolved now rather than at import, so fake timers installed by a test are picked up.
  const setTimer = options.setTimeout ?? ((callback: () => void, ms: number) => globalThis.setTimeout(callback, ms));
  const clearTimer = options.clearTimeout ?? ((handle: unknown) => globalThis.clearTimeout(handle as NodeJS.Timeout));
  const maxDelayMs = options.maxDelayMs ?? ONE_HOUR_MS;
  const entries = new Set<Entry>();
  let stopped = false;

  const report = (name: string, error: unknown): void => {
    try {
      options.onError(name, error);
    } catch {
      // A failing error reporter must not take the scheduler down with it.
    }
  };

  const plan = (timer: ScheduledTimer, after: Date, entry?: Entry): void => {
    if (stopped) return;
    let due: Date;
    try {
      due = timer.schedule.next(after);
    } catch (error) {
      // A schedule with no future occurrence is reported once and then left alone.
      if (entry !== undefined) entries.delete(entry);
      report(timer.name, error);
      return;
    }
    const target = entry ?? { timer, due, handle: undefined, running: false };
    target.due = due;
    entries.add(target);
    arm(target);
  };

  const arm = (entry: Entry): void => {
    // Long waits are cut into pieces so clock changes (sleep, NTP, a moved test clock) are noticed.
    const delay = Math.min(Math.max(entry.due.getTime() - options.clock.now().getTime(), 0), maxDelayMs);
    entry.handle = setTimer(() => wake(entry), delay);
  };

  const wake = (entry: Entry): void => {
    entry.handle = undefined;
    if (stopped) return;
    const now = options.clock.now();
    if (now.getTime() < entry.due.getTime()) {
      arm(entry);
      return;
    }
    fire(entry);
    // Occurrences missed while the process was asleep are dropped rather than run in a burst.
    plan(entry.timer, now.getTime() > entry.due.getTime() ? now : entry.due, entry);
  };

  const fire = (entry: Entry): void => {
    // Azure runs a timer function as a singleton; an occurrence that finds the previous run still going is skipped.
    if (entry.running) return;
    entry.running = true;
    let result: Promise<void>;
    try {
      result = entry.timer.run();
    } catch (error) {
      result = Promise.reject(error);
    }
    result
      .catch((error: unknown) => report(entry.timer.name, error))
      .finally(() => {
        entry.running = false;
      });
  };

  for (const timer of timers) plan(timer, options.clock.now());

  return {
    stop() {
      stopped = true;
      for (const entry of entries) {
        if (entry.handle !== undefined) clearTimer(entry.handle);
        entry.handle = undefined;
      }
      entries.clear();
    },
  };
}
