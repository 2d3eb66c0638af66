import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Telemetry, TelemetryProperties } from "../src/telemetry/telemetry.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

/** What the app hands to telemetry (the SDK side is tested in src/telemetry). */
function recordingTelemetry() {
  const sent: Array<{ kind: string; name: string; value?: number; properties?: TelemetryProperties }> = [];
  const telemetry: Telemetry = {
    trackEvent: (name, properties) => void sent.push({ kind: "event", name, properties }),
    trackMetric: (name, value, properties) => void sent.push({ kind: "metric", name, value, properties }),
    trackException: (error, properties) => void sent.push({ kind: "exception", name: error.message, properties }),
    flush: async () => {},
    shutdown: async () => {},
  };
  return { telemetry, sent };
}

describe("telemetry events", () => {
  const { telemetry, sent } = recordingTelemetry();
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ telemetry });
  });
  afterAll(() => {
    expect(app.leaks()).toEqual([]);
    const secretsSent = sent.filter((item) => JSON.stringify(item).includes("client-secret-"));
    expect(secretsSent).toEqual([]);
  });

  it("sends connection lifecycle events with names and outcomes, never the secret", async () => {
    await app.call("POST", "/api/oauth/connections", {
      org: "acme",
      body: { connection_name: "machine", oauth_flow_type: "client_credentials", client_id: "c", client_secret: app.secret("client-secret"), token_url: "https://idp.example.com/token" },
    });
    const names = sent.filter((item) => item.kind === "event").map((item) => item.name);
    expect(names).toEqual(expect.arrayContaining(["oauth.connection_created", "oauth.initial_token"]));
    const initial = sent.find((item) => item.name === "oauth.initial_token")!;
    expect(initial.properties).toMatchObject({ org_id: "acme", connection_name: "machine", exchange_success: false, final_status: "failed" });
  });

  it("sends a run summary event and metrics for every timer run", async () => {
    await app.dispatcher.runTimer("oauthRefreshTimer");
    expect(sent.find((item) => item.name === "oauth.refresh_run")?.properties).toMatchObject({ trigger: "timer", checked: 0 });
    const metrics = sent.filter((item) => item.kind === "metric").map((item) => item.name);
    expect(metrics).toEqual(["oauth.refresh_run.checked", "oauth.refresh_run.refreshed", "oauth.refresh_run.failed", "oauth.refresh_run.skipped", "oauth.refresh_run.duration_ms"]);
  });

  it("reports unexpected handler failures as exceptions", async () => {
    const original = app.services.connections.list.bind(app.services.connections);
    app.services.connections.list = async () => {
      throw new Error("table service exploded");
    };
    try {
      expect((await app.call("GET", "/api/oauth/connections")).status).toBe(500);
    } finally {
      app.services.connections.list = original;
    }
    expect(sent.find((item) => item.kind === "exception")).toMatchObject({ name: "table service exploded", properties: { function: "listConnections" } });
  });
});
