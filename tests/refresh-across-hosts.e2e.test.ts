import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findFreePort } from "../src/local/azurite.js";
import { authorizeInBrowser } from "./support/browser-login.js";
import { authorizationCodeBody, CALLBACK_PREFIX, callbackUri } from "./support/connect-flow.js";
import { cleanUpProcesses, environment, freshDir, http, startMain, type Started } from "./support/main-process.js";
import { PUBLIC_BASE_URL } from "./support/test-app.js";
import { BASIC_CLIENT, startTestAuthorizationServer, type TestAuthorizationServer } from "./support/test-authorization-server.js";

/**
 * Two instances of the service (two `npm start` processes) on one storage account: the lease on the
 * connection row, not the in-process single-flight, is what keeps them to one refresh.
 */
describe("refresh across two host processes sharing one Azurite", () => {
  const adminKey = `e2e-admin-${randomBytes(24).toString("hex")}`;
  let server: TestAuthorizationServer;
  let hostA: Started;
  let hostB: Started;
  let workflowKey: string;

  beforeAll(async () => {
    // The first token is inside the refresh-on-read window; refreshed ones are well outside it.
    server = await startTestAuthorizationServer({
      redirectUris: [callbackUri("shared")],
      codeGrantAccessTokenTtlSeconds: 120,
      accessTokenTtlSeconds: 3600,
      rotateRefreshTokens: true,
    });
    const shared = {
      AzureWebJobsStorage: inject("storageConnectionString"),
      LOCAL_SECRET_KEY: randomBytes(32).toString("base64"),
      OAUTH_BOOTSTRAP_ADMIN_KEY: adminKey,
      OAUTH_ALLOW_INSECURE_LOOPBACK: "true",
      OAUTH_PUBLIC_BASE_URL: PUBLIC_BASE_URL,
      OAUTH_REFRESH_ON_READ_SECONDS: "300",
    };
    [hostA, hostB] = await Promise.all([
      (async () => startMain(environment({ ...shared, PORT: String(await findFreePort()), LOCAL_DATA_DIR: await freshDir("a") })))(),
      (async () => startMain(environment({ ...shared, PORT: String(await findFreePort()), LOCAL_DATA_DIR: await freshDir("b") })))(),
    ]);
    const created = await http(hostA.baseUrl, "POST", "/api/oauth/connections", { key: adminKey, org: "acme", body: authorizationCodeBody(server, BASIC_CLIENT, "shared") });
    expect(created.status).toBe(201);
    const started = await http(hostA.baseUrl, "POST", "/api/oauth/connections/shared/authorize", { key: adminKey, org: "acme" });
    const landing = await authorizeInBrowser(started.json!.authorization_url as string, { stopAt: CALLBACK_PREFIX });
    const callback = new URL(landing.url);
    expect((await fetch(`${hostA.baseUrl}${callback.pathname}${callback.search}`)).status).toBe(200);
    const issued = await http(hostB.baseUrl, "POST", "/api/oauth/keys", { key: adminKey, body: { name: "engine", role: "workflow", org_id: "acme" } });
    workflowKey = issued.json!.key as string;
  }, 90_000);

  afterAll(async () => {
    await cleanUpProcesses();
    await server.close();
  });

  const refreshGrants = () => server.tokenRequests.filter((request) => request.grantType === "refresh_token");
  const works = async (token: string) => (await fetch(server.userinfoEndpoint, { headers: { authorization: `Bearer ${token}` } })).status === 200;

  it("sends exactly one refresh to the provider for 50 concurrent reads split over both hosts, and the grant survives", async () => {
    const before = refreshGrants().length;
    const reads = Array.from({ length: 50 }, (_, index) => http(index % 2 === 0 ? hostA.baseUrl : hostB.baseUrl, "GET", "/api/oauth/credentials/shared", { key: workflowKey }));
    const responses = await Promise.all(reads);
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(refreshGrants().length - before).toBe(1);
    for (const token of new Set(responses.map((response) => response.json!.access_token as string))) expect(await works(token)).toBe(true);

    // Both hosts use the refresh token whichever refreshed stored: the rotation was not lost.
    for (const host of [hostA, hostB]) {
      const forced = await http(host.baseUrl, "POST", "/api/oauth/connections/shared/refresh", { key: adminKey, org: "acme" });
      expect(forced.status).toBe(200);
    }
    expect(refreshGrants().length - before).toBe(3);
    expect(refreshGrants().every((request) => request.status === 200)).toBe(true);
    const next = await http(hostB.baseUrl, "GET", "/api/oauth/credentials/shared", { key: workflowKey });
    expect(await works(next.json!.access_token as string)).toBe(true);
  });
});
