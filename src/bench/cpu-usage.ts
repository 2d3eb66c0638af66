import { readdirSync, readFileSync } from "node:fs";

/** CPU used during a phase, in percent of one core: our three processes, everything else, and what the hypervisor took. */
export interface CpuShare {
  host: number;
  azurite: number;
  bench: number;
  other: number;
  steal: number;
}

/** Processes to account for; undefined pids (not Linux, not found) count as 0. */
export interface WatchedPids {
  host: number | undefined;
  azurite: number | undefined;
}

interface Snapshot {
  at: bigint;
  host: number;
  azurite: number;
  bench: number;
  machineBusy: number;
  steal: number;
}

// /proc counts in clock ticks; USER_HZ is 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100;

/** Starts accounting; the returned function ends it. Without /proc every share is 0. */
export function startCpuAccounting(pids: WatchedPids): () => CpuShare {
  const first = snapshot(pids);
  return () => {
    const last = snapshot(pids);
    const seconds = Number(last.at - first.at) / 1e9;
    const share = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100);
    const ours = last.host - first.host + (last.azurite - first.azurite) + (last.bench - first.bench);
    return {
      host: share(last.host - first.host),
      azurite: share(last.azurite - first.azurite),
      bench: share(last.bench - first.bench),
      other: share(Math.max(0, last.machineBusy - first.machineBusy - ours)),
      steal: share(last.steal - first.steal),
    };
  };
}

/** The pid of the Azurite Table service listening on `port`, found by its command line. */
export function findAzuritePid(port: number): number | undefined {
  const wanted = `--tablePort\0${port}\0`;
  for (const entry of safe(() => readdirSync("/proc"), [])) {
    if (!/^\d+$/.test(entry)) continue;
    if (safe(() => readFileSync(`/proc/${entry}/cmdline`, "latin1"), "").includes(wanted)) return Number(entry);
  }
  return undefined;
}

function snapshot(pids: WatchedPids): Snapshot {
  return { at: process.hrtime.bigint(), host: processTicks(pids.host), azurite: processTicks(pids.azurite), bench: processTicks(process.pid), ...machineTicks() };
}

function processTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stat = safe(() => readFileSync(`/proc/${pid}/stat`, "latin1"), "");
  // The command name may hold spaces; the numeric fields start after its closing parenthesis (utime, stime are fields 14, 15).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
}

function machineTicks(): { machineBusy: number; steal: number } {
  const line = safe(() => readFileSync("/proc/stat", "latin1"), "").split("\n")[0] ?? "";
  // cpu user nice system idle iowait irq softirq steal: busy is everything but idle, iowait and steal.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
  return { machineBusy: user + nice + system + irq + softirq, steal };
}

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
