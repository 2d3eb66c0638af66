import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionNotFoundError, ConnectionNotReadyError, OAuthHelperClient } from "../src/client/index.js";
import { startEmbeddedHost, type EmbeddedHost } from "../src/local/embedded-host.js";
import { authorizationCodeBody, callbackUri, connectThroughBrowser } from "./support/connect-flow.js";
import { createTestApp, type TestApp } from "./support/test-app.js";
import { BASIC_CLIENT, startTestAuthorizationServer, type TestAuthorizationServer } from "./support/test-authorization-server.js";

/** The workflow SDK against the real service over HTTP (the embedded host), with a real provider behind it. */
describe("the workflow SDK against the service", () => {
  let server: TestAuthorizationServer;
  let app: TestApp;
  let host: EmbeddedHost;
  let client: OAuthHelperClient;

  beforeAll(async () => {
    server = await startTestAuthorizationServer({ redirectUris: [callbackUri("graph")], accessTokenTtlSeconds: 3600 });
    app = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true" }, httpDispatcher: new Agent() });
    host = await startEmbeddedHost({ dispatcher: app.dispatcher, port: 0, logger: app.services.logger });
    await app.call("POST", "/api/oauth/connections", { org: "acme", body: authorizationCodeBody(server, BASIC_CLIENT, "graph") });
    await connectThroughBrowser(app, "graph", { org: "acme" });
    await app.call("POST", "/api/oauth/connections", { org: "acme", body: authorizationCodeBody(server, BASIC_CLIENT, "unconnected") });
    const key = await app.issueKey("workflow", "acme", "engine");
    client = new OAuthHelperClient({ baseUrl: host.url, apiKey: key, workflowId: "wf-1", workflowName: "Mail sync" });
  });
  afterAll(async () => {
    await host.close();
    await server.close();
  });

  it("gets a working token and an Authorization header, and registers the workflow's dependency", async () => {
    const token = await client.getOAuthConnection("graph");
    app.watch(token.accessToken);
    expect(token).toMatchObject({ connectionName: "graph", orgId: "acme", tokenType: "Bearer", authorizationHeader: `Bearer ${token.accessToken}` });
    expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const me = await fetch(server.userinfoEndpoint, { headers: { authorization: token.authorizationHeader } });
    expect(me.status).toBe(200);
    const dependency = await app.services.tables.dependenciesByWorkflow.getEntity<Record<string, unknown>>("wf-1", "acme|graph");
    expect(dependency.workflow_name).toBe("Mail sync");
  });

  it("reuses the cached token instead of asking again", async () => {
    const before = app.logLines.filter((line) => line.includes("credentials read")).length;
    await client.getOAuthConnection("graph");
    await client.getOAuthConnection("graph");
    expect(app.logLines.filter((line) => line.includes("credentials read")).length).toBe(before);
  });

  it("throws typed errors for a missing and a not-ready connection", async () => {
    await expect(client.getOAuthConnection("missing")).rejects.toBeInstanceOf(ConnectionNotFoundError);
    const notReady = await client.getOAuthConnection("unconnected").catch((error: unknown) => error);
    expect(notReady).toBeInstanceOf(ConnectionNotReadyError);
    expect((notReady as ConnectionNotReadyError).connectionStatus).toBe("not_connected");
  });

  it("registers a dependency explicitly", async () => {
    await client.registerDependency("graph");
    expect((await app.services.tables.dependencies.getEntity("acme|graph", "wf-1")).partitionKey).toBe("acme|graph");
  });
});
