import type { Contracts, EventTelemetry, ExceptionTelemetry } from "applicationinsights";
import type { Logger } from "../logger.js";
import type { Telemetry, TelemetryProperties } from "./telemetry.js";

/** The part of the SDK's TelemetryClient used here; tests implement it with a fake. */
export interface AppInsightsClient {
  trackEvent(telemetry: EventTelemetry): void;
  trackMetric(telemetry: Contracts.MetricPointTelemetry & Contracts.MetricTelemetry): void;
  trackException(telemetry: ExceptionTelemetry): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The SDK's fluent `Configuration` (what `setup()` returns), reduced to the switches set here. */
export interface AppInsightsConfiguration {
  setSendLiveMetrics(enable?: boolean): AppInsightsConfiguration;
  setAutoCollectRequests(value: boolean): AppInsightsConfiguration;
  setAutoCollectConsole(value: boolean, collectConsoleLog?: boolean): AppInsightsConfiguration;
  start(): unknown;
}

/** The SDK's CommonJS exports, reduced to what is used here. */
export interface AppInsightsModule {
  setup(connectionString: string): AppInsightsConfiguration;
  readonly defaultClient: AppInsightsClient | null | undefined;
}

/** Imports the SDK: Node's `import()` namespace of it (TypeScript's types omit its `default`), or the exports themselves. */
export type AppInsightsLoader = () => Promise<AppInsightsModule | { default: AppInsightsModule }>;

/** Flush waits at most this long: an unreachable ingestion endpoint must not hold up a timer run. */
const FLUSH_TIMEOUT_MS = 5_000;

/** Loads and starts the SDK and wraps its default client; undefined (after one warning) when that fails. */
export async function startApplicationInsights(
  connectionString: string,
  logger: Logger,
  load: AppInsightsLoader,
): Promise<Telemetry | undefined> {
  const warn = onceWarning(logger);
  try {
    const sdk = commonJsExports(await load());
    sdk
      .setup(connectionString)
      .setSendLiveMetrics(false)
      // The Functions host already reports every request; a second copy would double the bill.
      .setAutoCollectRequests(false)
      // Our JSON log lines already reach App Insights through the host; do not send them twice.
      .setAutoCollectConsole(false, false)
      .start();
    const client = sdk.defaultClient;
    if (!client) throw new Error("Application Insights setup() left no default client");
    return wrapClient(client, warn);
  } catch (error) {
    warn("start", error);
    return undefined;
  }
}

/** `module.exports` itself: the namespace's named `defaultClient` is a copy taken at import, before `setup()` assigned it. */
function commonJsExports(loaded: AppInsightsModule | { default: AppInsightsModule }): AppInsightsModule {
  return isNamespace(loaded) ? loaded.default : loaded;
}

function isNamespace(loaded: object): loaded is { default: AppInsightsModule } {
  return "default" in loaded && typeof loaded.default === "object" && loaded.default !== null;
}

type Warn = (operation: string, error: unknown) => void;

/** Warns about the first failure only: a broken exporter must not add a log line per event. */
function onceWarning(logger: Logger): Warn {
  let warned = false;
  return (operation, error) => {
    if (warned) return;
    warned = true;
    // The error's name only: SDK messages may echo the connection string or payloads.
    logger.warn("telemetry call failed; further telemetry failures are not logged", {
      operation,
      error: error instanceof Error ? error.name : typeof error,
    });
  };
}

function wrapClient(client: AppInsightsClient, warn: Warn): Telemetry {
  const run = (operation: string, action: () => void): void => {
    try {
      action();
    } catch (error) {
      warn(operation, error);
    }
  };
  const settle = async (operation: string, action: () => Promise<void>): Promise<void> => {
    try {
      await withTimeout(action(), FLUSH_TIMEOUT_MS, operation);
    } catch (error) {
      warn(operation, error);
    }
  };
  return {
    trackEvent: (name, properties) => run("trackEvent", () => client.trackEvent({ name, ...split(properties) })),
    trackMetric: (name, value, properties) =>
      // Metrics become OpenTelemetry histogram attributes, which have no measurements: everything is a property.
      run("trackMetric", () => client.trackMetric({ name, value, properties: toProperties(properties) })),
    trackException: (error, properties) =>
      run("trackException", () => client.trackException({ exception: scrubbed(error), ...split(properties) })),
    flush: () => settle("flush", () => client.flush()),
    shutdown: () => settle("shutdown", () => client.shutdown()),
  };
}

/** Strings to `properties`, numbers to `measurements` (what events and exceptions accept), undefined dropped. */
function split(input: TelemetryProperties | undefined): { properties: Record<string, string>; measurements: Record<string, number> } {
  const properties: Record<string, string> = {};
  const measurements: Record<string, number> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === undefined) continue;
    if (typeof value === "number" && Number.isFinite(value)) measurements[key] = value;
    else properties[key] = String(value);
  }
  return { properties, measurements };
}

/** Every defined value as a string: App Insights custom dimensions are a string map. */
function toProperties(input: TelemetryProperties | undefined): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(input ?? {})) if (value !== undefined) properties[key] = String(value);
  return properties;
}

/** A copy with name, message and stack only: errors may carry request bodies or responses as extra fields or `cause`. */
function scrubbed(error: Error): Error {
  const copy = new Error(error.message);
  // Non-enumerable like the originals, so the copy serialises like any other Error.
  Object.defineProperty(copy, "name", { value: error.name, writable: true, configurable: true });
  Object.defineProperty(copy, "stack", { value: error.stack, writable: true, configurable: true });
  return copy;
}

async function withTimeout(promise: Promise<void>, ms: number, operation: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TelemetryTimeoutError(`${operation} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

class TelemetryTimeoutError extends Error {
  override name = "TelemetryTimeoutError";
}
