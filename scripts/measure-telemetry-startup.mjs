// Start-up cost of telemetry, off vs on, each sample in a fresh Node process (module caches make
// in-process repeats meaningless). Run `npm run build` first: this imports dist/telemetry/telemetry.js.
// Usage: node scripts/measure-telemetry-startup.mjs [runs=5]
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";

const RUNS = Number(process.argv[2] ?? 5);
const TELEMETRY = new URL("../dist/telemetry/telemetry.js", import.meta.url).href;
const FAKE_CONNECTION_STRING =
  "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/";

// What each child runs: import + createTelemetry, timed from before the import, RSS after it.
// It exits at once so the SDK's export timers never fire (nothing is sent anywhere).
const CHILD = `
const silent = { info() {}, warn() {}, error() {} };
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const { createTelemetry } = await import(${JSON.stringify(TELEMETRY)});
const telemetry = await createTelemetry(process.env.CS || undefined, silent);
telemetry.trackEvent("oauth.startup_probe");
const ms = performance.now() - started;
const rss = process.memoryUsage().rss;
process.stdout.write(JSON.stringify({ ms, rssMb: rss / 2 ** 20, deltaMb: (rss - rssBefore) / 2 ** 20 }));
process.exit(0);
`;

const scenarios = [
  { name: "(a) no connection string", cs: "" },
  { name: "(b) fake connection string", cs: FAKE_CONNECTION_STRING },
];

function sample(cs) {
  const started = performance.now();
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", CHILD], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: { ...process.env, CS: cs, APPLICATIONINSIGHTS_CONNECTION_STRING: "" },
    encoding: "utf8",
  });
  return { ...JSON.parse(out), processMs: performance.now() - started };
}

const results = new Map(scenarios.map((s) => [s.name, []]));
// Interleaved, so a burst of load from another process hits both scenarios alike.
for (let run = 0; run < RUNS; run++) for (const s of scenarios) results.get(s.name).push(sample(s.cs));

const median = (xs) => {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const stat = (xs, digits) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

console.log(`${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}, ${RUNS} runs each`);
console.log("median (min–max) | import+create ms | whole process ms | RSS after MB | RSS added MB");
for (const [name, rows] of results) {
  const col = (key, digits) => stat(rows.map((r) => r[key]), digits);
  console.log(`${name} | ${col("ms", 1)} | ${col("processMs", 0)} | ${col("rssMb", 1)} | ${col("deltaMb", 1)}`);
}
