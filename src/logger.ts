/** The one logger: structured lines, never secret values (callers pass names and ids only). */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

type Level = "info" | "warn" | "error";

/** JSON lines on stdout/stderr; the Functions host and the embedded host both collect these. */
export const consoleLogger: Logger = {
  info: (message, properties) => write("info", message, properties),
  warn: (message, properties) => write("warn", message, properties),
  error: (message, properties) => write("error", message, properties),
};

function write(level: Level, message: string, properties?: Record<string, unknown>): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...properties });
  if (level === "error") console.error(line);
  else console.log(line);
}

/** A logger that keeps its lines in memory, for tests that inspect what was logged. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: Level) => (message: string, properties?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, ...properties }));
  };
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}
