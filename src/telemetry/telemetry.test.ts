import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryLogger } from "../logger.js";
import type { AppInsightsClient, AppInsightsConfiguration, AppInsightsModule } from "./application-insights.js";
import { createTelemetry, noTelemetry } from "./telemetry.js";

const require = createRequire(import.meta.url);
const CONNECTION_STRING = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/";

/** Whether Node has loaded the SDK in this process (import() of a CommonJS package fills require.cache too). */
function sdkLoaded(): boolean {
  return require.resolve("applicationinsights") in require.cache;
}

/** A fake SDK that records every call, shaped like Node's import() namespace of a CommonJS module. */
function fakeSdk(client: Partial<AppInsightsClient> = {}) {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  const configuration: AppInsightsConfiguration = {
    setSendLiveMetrics: (...args) => (record("setSendLiveMetrics")(...args), configuration),
    setAutoCollectRequests: (...args) => (record("setAutoCollectRequests")(...args), configuration),
    setAutoCollectConsole: (...args) => (record("setAutoCollectConsole")(...args), configuration),
    start: record("start"),
  };
  const defaultClient: AppInsightsClient = {
    trackEvent: record("trackEvent"),
    trackMetric: record("trackMetric"),
    trackException: record("trackException"),
    flush: async () => record("flush")(),
    shutdown: async () => record("shutdown")(),
    ...client,
  };
  const sdk: AppInsightsModule = {
    setup: (connectionString) => (record("setup")(connectionString), configuration),
    defaultClient,
  };
  return { calls, load: vi.fn(async () => ({ default: sdk })) };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("createTelemetry without a connection string", () => {
  it("returns noTelemetry and never loads the SDK", async () => {
    const { load } = fakeSdk();
    for (const missing of [undefined, "", "   "]) {
      expect(await createTelemetry(missing, createMemoryLogger(), load)).toBe(noTelemetry);
    }
    expect(await createTelemetry(undefined, createMemoryLogger())).toBe(noTelemetry);
    expect(load).not.toHaveBeenCalled();
    expect(sdkLoaded()).toBe(false);
  });

  it("noTelemetry accepts every call", async () => {
    noTelemetry.trackEvent("e", { a: 1 });
    noTelemetry.trackMetric("m", 1);
    noTelemetry.trackException(new Error("x"));
    await expect(noTelemetry.flush()).resolves.toBeUndefined();
    await expect(noTelemetry.shutdown()).resolves.toBeUndefined();
  });
});

describe("createTelemetry with a connection string (fake SDK)", () => {
  it("sets up with the connection string, live metrics, requests and console collection off, then starts", async () => {
    const { calls, load } = fakeSdk();
    const telemetry = await createTelemetry(` ${CONNECTION_STRING} `, createMemoryLogger(), load);
    expect(telemetry).not.toBe(noTelemetry);
    expect(load).toHaveBeenCalledOnce();
    expect(calls).toEqual([
      ["setup", CONNECTION_STRING],
      ["setSendLiveMetrics", false],
      ["setAutoCollectRequests", false],
      ["setAutoCollectConsole", false, false],
      ["start"],
    ]);
  });

  it("forwards events with strings as properties, numbers as measurements and undefined dropped", async () => {
    const { calls, load } = fakeSdk();
    const telemetry = await createTelemetry(CONNECTION_STRING, createMemoryLogger(), load);
    calls.length = 0;
    telemetry.trackEvent("oauth.callback", { org_id: "acme", duration_ms: 42, ok: true, error: null, reason: undefined });
    expect(calls).toEqual([
      [
        "trackEvent",
        {
          name: "oauth.callback",
          properties: { org_id: "acme", ok: "true", error: "null" },
          measurements: { duration_ms: 42 },
        },
      ],
    ]);
  });

  it("forwards metrics with every defined property as a string", async () => {
    const { calls, load } = fakeSdk();
    const telemetry = await createTelemetry(CONNECTION_STRING, createMemoryLogger(), load);
    calls.length = 0;
    telemetry.trackMetric("oauth.refresh_run.refreshed", 3, { trigger: "timer", batch: 2, skipped: undefined });
    telemetry.trackMetric("oauth.refresh_run.failed", 0);
    expect(calls).toEqual([
      ["trackMetric", { name: "oauth.refresh_run.refreshed", value: 3, properties: { trigger: "timer", batch: "2" } }],
      ["trackMetric", { name: "oauth.refresh_run.failed", value: 0, properties: {} }],
    ]);
  });

  it("forwards a copy of an exception holding only name, message and stack", async () => {
    const { calls, load } = fakeSdk();
    const telemetry = await createTelemetry(CONNECTION_STRING, createMemoryLogger(), load);
    calls.length = 0;
    const original = Object.assign(new TypeError("boom", { cause: { body: "refresh_token=secret" } }), {
      body: "client_secret=secret",
    });
    telemetry.trackException(original, { route: "callback", status: 500 });

    expect(calls).toHaveLength(1);
    const [name, sent] = calls[0] as [string, { exception: Error; properties: unknown; measurements: unknown }];
    expect(name).toBe("trackException");
    expect(sent.exception).not.toBe(original);
    expect(sent.exception).toBeInstanceOf(Error);
    expect({ name: sent.exception.name, message: sent.exception.message, stack: sent.exception.stack }).toEqual({
      name: "TypeError",
      message: "boom",
      stack: original.stack,
    });
    expect(sent.exception.cause).toBeUndefined();
    expect(Object.keys(sent.exception)).toEqual([]);
    expect(JSON.stringify(calls)).not.toContain("secret");
    expect(sent.properties).toEqual({ route: "callback" });
    expect(sent.measurements).toEqual({ status: 500 });
  });

  it("flushes and shuts down through the client", async () => {
    const { calls, load } = fakeSdk();
    const telemetry = await createTelemetry(CONNECTION_STRING, createMemoryLogger(), load);
    calls.length = 0;
    await telemetry.flush();
    await telemetry.shutdown();
    expect(calls).toEqual([["flush"], ["shutdown"]]);
  });

  it("never throws into the caller when the client fails, and warns once", async () => {
    const fail = () => {
      throw new Error("exporter broke: InstrumentationKey=secret");
    };
    const { load } = fakeSdk({
      trackEvent: fail,
      trackMetric: fail,
      trackException: fail,
      flush: async () => fail(),
      shutdown: async () => fail(),
    });
    const logger = createMemoryLogger();
    const telemetry = await createTelemetry(CONNECTION_STRING, logger, load);

    expect(() => telemetry.trackEvent("e")).not.toThrow();
    expect(() => telemetry.trackEvent("e")).not.toThrow();
    expect(() => telemetry.trackMetric("m", 1)).not.toThrow();
    expect(() => telemetry.trackException(new Error("x"))).not.toThrow();
    await expect(telemetry.flush()).resolves.toBeUndefined();
    await expect(telemetry.shutdown()).resolves.toBeUndefined();

    expect(logger.lines).toHaveLength(1);
    expect(JSON.parse(logger.lines[0]!)).toMatchObject({ level: "warn", operation: "trackEvent", error: "Error" });
    expect(logger.lines[0]).not.toContain("secret");
  });

  it("stops waiting for a flush that never settles", async () => {
    vi.useFakeTimers();
    const { load } = fakeSdk({ flush: () => new Promise<void>(() => {}) });
    const logger = createMemoryLogger();
    const telemetry = await createTelemetry(CONNECTION_STRING, logger, load);
    const flushed = telemetry.flush();
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(flushed).resolves.toBeUndefined();
    expect(JSON.parse(logger.lines[0]!)).toMatchObject({ level: "warn", operation: "flush", error: "TelemetryTimeoutError" });
  });

  it("falls back to noTelemetry with one warning when the SDK cannot be loaded or set up", async () => {
    const logger = createMemoryLogger();
    const missing = await createTelemetry(CONNECTION_STRING, logger, () => Promise.reject(new Error("Cannot find package")));
    expect(missing).toBe(noTelemetry);

    const { load } = fakeSdk();
    const broken = async () => ({
      default: {
        ...(await load()).default,
        setup: (): AppInsightsConfiguration => {
          throw new Error("invalid connection string");
        },
      },
    });
    expect(await createTelemetry(CONNECTION_STRING, logger, broken)).toBe(noTelemetry);

    expect(logger.lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({ level: "warn", operation: "start" }),
      expect.objectContaining({ level: "warn", operation: "start" }),
    ]);
  });
});

describe("createTelemetry with the real SDK", () => {
  it("starts with a fake connection string, tracks without throwing and shuts down", async () => {
    // The SDK's own usage reports go to a Microsoft endpoint; a test must not phone home.
    vi.stubEnv("APPLICATION_INSIGHTS_NO_STATSBEAT", "true");
    const logger = createMemoryLogger();
    const telemetry = await createTelemetry(CONNECTION_STRING, logger);
    expect(telemetry).not.toBe(noTelemetry);
    expect(sdkLoaded()).toBe(true);

    expect(() => telemetry.trackEvent("oauth.test", { org_id: "acme", count: 1 })).not.toThrow();
    expect(() => telemetry.trackMetric("oauth.test.metric", 1, { trigger: "test" })).not.toThrow();
    expect(() => telemetry.trackException(new Error("test"))).not.toThrow();
    // Nothing listens on port 9 and the SDK retries for seconds; shutdown() still returns within its 5 s cap.
    const started = performance.now();
    await telemetry.shutdown();
    expect(performance.now() - started).toBeLessThan(7_000);
    for (const line of logger.lines) {
      expect(JSON.parse(line)).toMatchObject({ level: "warn", operation: "shutdown", error: "TelemetryTimeoutError" });
    }
  }, 15_000);
});
