import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TimerRoute } from "../src/functions/route.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

describe("routing like the Functions host", () => {
  let app: TestApp;
  const runs: string[] = [];
  const probeTimer: TimerRoute = {
    name: "probeTimer",
    schedule: () => "0 0 * * * *",
    handler: async (_services, context) => {
      runs.push(context.functionName);
    },
  };

  beforeAll(async () => {
    app = await createTestApp({ timers: [probeTimer] });
  });
  afterAll(() => {
    expect(app.leaks()).toEqual([]);
  });

  it("answers /api/health without a key", async () => {
    const response = await app.call("GET", "/api/health", { key: null });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: "ok" });
  });

  it("answers an unknown route with 404 JSON", async () => {
    const response = await app.call("GET", "/api/oauth/nothing");
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ error: "route_not_found" });
    expect((await app.call("GET", "/elsewhere")).status).toBe(404);
  });

  it("answers a wrong method with 405 and the allowed methods", async () => {
    const response = await app.call("PATCH", "/api/oauth/connections");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, GET");
    expect(response.json).toMatchObject({ error: "method_not_allowed" });
  });

  it("passes route parameters decoded, and refuses what is not a valid name", async () => {
    expect((await app.call("GET", "/api/oauth/connections/no-such")).json.error).toBe("connection_not_found");
    const encoded = await app.call("GET", "/api/oauth/connections/a%27b");
    expect(encoded.status).toBe(400);
    expect(encoded.json.details[0].field).toBe("path.name");
  });

  it("runs a timer on POST /admin/functions/{name} with a GLOBAL admin key in x-functions-key (202)", async () => {
    const response = await app.call("POST", "/admin/functions/probeTimer", { key: null, headers: { "x-functions-key": app.adminKey }, body: { input: "" } });
    expect(response.status).toBe(202);
    await expect.poll(() => runs).toContain("probeTimer");
  });

  it("refuses admin function calls without a GLOBAL admin key, and unknown functions", async () => {
    const orgAdmin = await app.issueKey("admin", "acme");
    expect((await app.call("POST", "/admin/functions/probeTimer", { key: null })).status).toBe(401);
    expect((await app.call("POST", "/admin/functions/probeTimer", { key: null, headers: { "x-functions-key": orgAdmin } })).status).toBe(401);
    expect((await app.call("POST", "/admin/functions/nope", { key: null, headers: { "x-functions-key": app.adminKey } })).status).toBe(404);
  });

  it("turns an unexpected failure into a 500 that names the request, logged without request data", async () => {
    const failing = await createTestApp();
    const secret = failing.secret("client-secret");
    failing.services.connections.create = async () => {
      throw new Error("storage exploded");
    };
    const response = await failing.call("POST", "/api/oauth/connections", {
      body: { connection_name: "x", oauth_flow_type: "client_credentials", client_id: "c", client_secret: secret, token_url: "https://idp.example.com/t" },
    });
    expect(response.status).toBe(500);
    expect(response.json).toMatchObject({ error: "internal_error" });
    expect(response.text).not.toContain("storage exploded");
    expect(failing.logLines.some((line) => line.includes("storage exploded"))).toBe(true);
    expect(failing.leaks()).toEqual([]);
  });
});
