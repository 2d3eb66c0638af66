import type { Logger } from "../logger.js";
import { startApplicationInsights, type AppInsightsLoader } from "./application-insights.js";

/** Custom dimensions of an event, metric or exception; `undefined` values are dropped. */
export type TelemetryProperties = Record<string, string | number | boolean | null | undefined>;

/** What the app reports to Application Insights; no method ever throws into the caller. */
export interface Telemetry {
  trackEvent(name: string, properties?: TelemetryProperties): void;
  trackMetric(name: string, value: number, properties?: TelemetryProperties): void;
  trackException(error: Error, properties?: TelemetryProperties): void;
  flush(): Promise<void>;
  /** Flushes and stops the SDK's exporters and timers, so a process or test can exit. */
  shutdown(): Promise<void>;
}

const nothing = async (): Promise<void> => {};

/** Telemetry that does nothing: what the app uses when no connection string is set. */
export const noTelemetry: Telemetry = Object.freeze({
  trackEvent: () => {},
  trackMetric: () => {},
  trackException: () => {},
  flush: nothing,
  shutdown: nothing,
});

/** `noTelemetry` without a connection string (the SDK is never loaded), else App Insights; never rejects. */
export async function createTelemetry(
  connectionString: string | undefined,
  logger: Logger,
  // The SDK costs ~0.9 s and ~55 MB to load (docs/telemetry.md), so it is imported only here, only when configured.
  load: AppInsightsLoader = () => import("applicationinsights"),
): Promise<Telemetry> {
  if (!connectionString?.trim()) return noTelemetry;
  return (await startApplicationInsights(connectionString.trim(), logger, load)) ?? noTelemetry;
}
