import { cpus, platform, release, totalmem } from "node:os";
import type { CpuShare } from "./cpu-usage.js";
import type { PhaseStats } from "./load.js";

/** The machine a run measured. */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  node: string;
  os: string;
  date: string;
}

/** A measured phase with the CPU each process used meanwhile. */
export type MeasuredPhase = PhaseStats & { cpu: CpuShare };

/** One concurrency level: the route, its storage floor, and route/floor ratios. */
export interface LevelResult {
  concurrency: number;
  route: MeasuredPhase;
  floor: MeasuredPhase;
  p50Ratio: number;
  p99Ratio: number;
}

/** Describes this machine. */
export function describeMachine(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cpuCount: list.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    date: new Date().toISOString(),
  };
}

/** Pairs a level's route and floor phases. */
export function levelResult(route: MeasuredPhase, floor: MeasuredPhase): LevelResult {
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return { concurrency: route.concurrency, route, floor, p50Ratio: ratio(route.p50Ms, floor.p50Ms), p99Ratio: ratio(route.p99Ms, floor.p99Ms) };
}

/** The machine and the summary table, as printed at the end of a run. */
export function formatReport(machine: MachineInfo, levels: LevelResult[]): string {
  const summary = table(
    ["level", "route p50", "route p99", "route rps", "floor p50", "floor p99", "floor rps", "p50 ×floor", "p99 ×floor"],
    levels.map((l) => [l.concurrency, ms(l.route.p50Ms), ms(l.route.p99Ms), l.route.rps, ms(l.floor.p50Ms), ms(l.floor.p99Ms), l.floor.rps, `${l.p50Ratio}×`, `${l.p99Ratio}×`]),
  );
  const details = table(
    ["phase", "level", "requests", "p50", "p90", "p99", "max", "rps", "cpu% host", "azurite", "bench", "other", "steal", "host ms/req", "azurite ms/req"],
    levels.flatMap((l) => [detailRow("route", l.route), detailRow("floor", l.floor)]),
  );
  return [
    `Machine: ${machine.cpuModel}, ${machine.cpuCount} CPUs, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, ${machine.os}, ${machine.date}`,
    "",
    summary,
    "",
    details,
  ].join("\n");
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const detailRow = (phase: string, s: MeasuredPhase) => [
  ...[phase, s.concurrency, s.requests, ms(s.p50Ms), ms(s.p90Ms), ms(s.p99Ms), ms(s.maxMs), s.rps],
  ...[s.cpu.host, s.cpu.azurite, s.cpu.bench, s.cpu.other, s.cpu.steal, perRequest(s, s.cpu.host), perRequest(s, s.cpu.azurite)],
];
// CPU milliseconds per request, all threads and kernel time included; "-" where the process sat idle.
const perRequest = (s: MeasuredPhase, percent: number) => (percent === 0 ? "-" : (((percent / 100) * s.seconds * 1000) / s.requests).toFixed(2));

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}
