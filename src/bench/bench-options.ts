import { parseArgs } from "node:util";

/** Every option of `npm run bench`, parsed and checked. */
export interface BenchOptions {
  help: boolean;
  json: string | undefined;
  levels: number[];
  durationMs: number;
  warmup: number;
  hostCpuProfileDir: string | undefined;
  credentials: boolean;
  refresh: boolean;
  refreshConnections: number;
  refreshConcurrency: number;
  refreshLatencyMs: number;
}

/** The command line, as `--help` prints it. */
export const USAGE = [
  "npm run bench -- [--json <file>] [--levels 1,4,16,64] [--seconds 3] [--warmup 200] [--host-cpu-prof <dir>]",
  "                 [--skip-refresh | --refresh-only] [--refresh-connections 1000] [--refresh-concurrency 8] [--refresh-latency 50]",
].join("\n");

/** Parses `args` (the process's by default); throws with the usage on a bad value. */
export function parseBenchOptions(args?: string[]): BenchOptions {
  const { values } = parseArgs({
    ...(args === undefined ? {} : { args }),
    options: {
      json: { type: "string" },
      levels: { type: "string", default: "1,4,16,64" },
      seconds: { type: "string", default: "3" },
      warmup: { type: "string", default: "200" },
      "host-cpu-prof": { type: "string" },
      "skip-refresh": { type: "boolean", default: false },
      "refresh-only": { type: "boolean", default: false },
      "refresh-connections": { type: "string", default: "1000" },
      "refresh-concurrency": { type: "string", default: "8" },
      "refresh-latency": { type: "string", default: "50" },
      help: { type: "boolean", default: false },
    },
  });
  if (values["skip-refresh"] && values["refresh-only"]) throw new Error(`--skip-refresh and --refresh-only exclude each other\n${USAGE}`);
  return {
    help: values.help,
    json: values.json,
    levels: values.levels.split(",").map((level) => integer(level, "--levels", 1)),
    durationMs: integer(values.seconds, "--seconds", 1) * 1000,
    warmup: integer(values.warmup, "--warmup", 1),
    hostCpuProfileDir: values["host-cpu-prof"],
    credentials: !values["refresh-only"],
    refresh: !values["skip-refresh"],
    refreshConnections: integer(values["refresh-connections"], "--refresh-connections", 1),
    // The service accepts 1 to 100 (src/settings.ts).
    refreshConcurrency: integer(values["refresh-concurrency"], "--refresh-concurrency", 1, 100),
    refreshLatencyMs: integer(values["refresh-latency"], "--refresh-latency", 0),
  };
}

function integer(text: string, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${option} takes integers from ${min}${max === Number.MAX_SAFE_INTEGER ? "" : ` to ${max}`}, not "${text}"\n${USAGE}`);
  return value;
}
