import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { caught, startFakeService, type Reply, type SeenRequest } from "../../tests/support/fake-service.js";
import {
  AuthenticationError,
  ConnectionNotFoundError,
  ConnectionNotReadyError,
  OAuthHelperClient,
  OAuthHelperError,
  WorkflowDisabledError,
  type OAuthHelperClientOptions,
} from "./index.js";

// A stand-in for the service's HTTP contract; the end-to-end test against the real service lives elsewhere.

const API_KEY = "ohk_test_0123456789abcdefghijklmnopqrstuvwxyz";
const ACCESS_TOKEN = "eyJ.access-token.sig";
const T0 = Date.parse("2026-11-20T10:00:00Z");
const HOUR_MS = 3_600_000;

let service: Awaited<ReturnType<typeof startFakeService>>;
let origin: string;
let seen: SeenRequest[];
let reply: (request: SeenRequest) => Reply;
let clock: number;

function credentials(overrides: Record<string, unknown> = {}): Reply {
  return {
    status: 200,
    body: {
      connection_name: "graph-mail",
      org_id: "acme",
      access_token: ACCESS_TOKEN,
      token_type: "Bearer",
      expires_at: new Date(T0 + HOUR_MS).toISOString(),
      scopes: ["offline_access", "Mail.Read"],
      ...overrides,
    },
  };
}

function client(options: Partial<OAuthHelperClientOptions> = {}): OAuthHelperClient {
  return new OAuthHelperClient({ baseUrl: origin, apiKey: API_KEY, orgId: "acme", now: () => clock, ...options });
}


beforeAll(async () => {
  service = await startFakeService((request) => {
    seen.push(request);
    return reply(request);
  });
  origin = service.origin;
});

afterAll(() => service.close());

beforeEach(() => {
  seen = [];
  reply = () => credentials();
  clock = T0;
});

describe("getOAuthConnection", () => {
  it("maps the credentials answer and builds the Authorization header value", async () => {
    const token = await client().getOAuthConnection("graph-mail");
    expect(token).toEqual({
      connectionName: "graph-mail",
      orgId: "acme",
      accessToken: ACCESS_TOKEN,
      tokenType: "Bearer",
      expiresAt: new Date(T0 + HOUR_MS),
      scopes: ["offline_access", "Mail.Read"],
      authorizationHeader: `Bearer ${ACCESS_TOKEN}`,
    });
  });

  it("sends the API key, the org and the workflow identity as headers", async () => {
    await client({ workflowId: "wf-42", workflowName: "Nightly mail sync" }).getOAuthConnection("graph-mail");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("GET");
    expect(seen[0]!.url).toBe("/api/oauth/credentials/graph-mail");
    expect(seen[0]!.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      "x-organization-id": "acme",
      "x-workflow-id": "wf-42",
      "x-workflow-name": "Nightly mail sync",
    });
  });

  it("leaves out the org and workflow headers when they are not configured", async () => {
    await client({ orgId: undefined }).getOAuthConnection("graph-mail");
    expect(seen[0]!.headers["x-organization-id"]).toBeUndefined();
    expect(seen[0]!.headers["x-workflow-id"]).toBeUndefined();
    expect(seen[0]!.headers["x-workflow-name"]).toBeUndefined();
  });

  it("URL-encodes the connection name in the path", async () => {
    await client().getOAuthConnection("mail box/1?x");
    expect(seen[0]!.url).toBe("/api/oauth/credentials/mail%20box%2F1%3Fx");
  });

  it("accepts the base URL with or without a trailing slash or /api", async () => {
    for (const baseUrl of [origin, `${origin}/`, `${origin}/api`, `${origin}/api/`]) {
      await client({ baseUrl }).getOAuthConnection("graph-mail");
    }
    expect(seen.map((request) => request.url)).toEqual(Array(4).fill("/api/oauth/credentials/graph-mail"));
  });

  it("reuses a cached token until refreshMarginSeconds before it expires, then asks again", async () => {
    const oauth = client();
    await oauth.getOAuthConnection("graph-mail");
    clock = T0 + HOUR_MS - 60_000 - 1;
    await oauth.getOAuthConnection("graph-mail");
    expect(seen).toHaveLength(1);

    clock = T0 + HOUR_MS - 60_000;
    reply = () => credentials({ access_token: "fresh", expires_at: new Date(T0 + 2 * HOUR_MS).toISOString() });
    const token = await oauth.getOAuthConnection("graph-mail");
    expect(seen).toHaveLength(2);
    expect(token.accessToken).toBe("fresh");
  });

  it("honours a custom refresh margin", async () => {
    const oauth = client({ refreshMarginSeconds: 600 });
    await oauth.getOAuthConnection("graph-mail");
    clock = T0 + HOUR_MS - 600_000;
    await oauth.getOAuthConnection("graph-mail");
    expect(seen).toHaveLength(2);
  });

  it("shares one request among concurrent calls for the same connection", async () => {
    const oauth = client();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => oauth.getOAuthConnection("graph-mail")));
    expect(seen).toHaveLength(1);
    expect(new Set(tokens.map((token) => token.accessToken))).toEqual(new Set([ACCESS_TOKEN]));
  });

  it("keeps separate cache entries per connection name", async () => {
    const oauth = client();
    await Promise.all([oauth.getOAuthConnection("graph-mail"), oauth.getOAuthConnection("crm")]);
    await Promise.all([oauth.getOAuthConnection("graph-mail"), oauth.getOAuthConnection("crm")]);
    expect(seen.map((request) => request.url).sort()).toEqual(["/api/oauth/credentials/crm", "/api/oauth/credentials/graph-mail"]);
  });

  it("does not let a caller change the token the cache hands out next", async () => {
    const oauth = client();
    const first = await oauth.getOAuthConnection("graph-mail");
    first.scopes.push("Mail.Send");
    first.accessToken = "tampered";
    const second = await oauth.getOAuthConnection("graph-mail");
    expect(second.scopes).toEqual(["offline_access", "Mail.Read"]);
    expect(second.accessToken).toBe(ACCESS_TOKEN);
  });

  it("asks the service again after invalidate, for one name or all", async () => {
    const oauth = client();
    await oauth.getOAuthConnection("graph-mail");
    oauth.invalidate("graph-mail");
    await oauth.getOAuthConnection("graph-mail");
    oauth.invalidate();
    await oauth.getOAuthConnection("graph-mail");
    expect(seen).toHaveLength(3);
  });

  it("does not cache the answer of a request that was in flight during invalidate", async () => {
    const oauth = client();
    const inFlight = oauth.getOAuthConnection("graph-mail");
    oauth.invalidate("graph-mail");
    await inFlight;
    await oauth.getOAuthConnection("graph-mail");
    expect(seen).toHaveLength(2);
  });
});

describe("errors", () => {
  it("throws ConnectionNotFoundError on 404 connection_not_found", async () => {
    reply = () => ({ status: 404, body: { error: "connection_not_found", message: 'No connection "nope" in org acme or GLOBAL' } });
    const error = await caught(client().getOAuthConnection("nope"));
    expect(error).toBeInstanceOf(ConnectionNotFoundError);
    expect(error).toBeInstanceOf(OAuthHelperError);
    expect(error).toMatchObject({ code: "connection_not_found", status: 404, connectionName: "nope", message: 'No connection "nope" in org acme or GLOBAL' });
  });

  it("throws ConnectionNotReadyError with the connection's status on 503 connection_not_ready", async () => {
    reply = () => ({
      status: 503,
      body: { error: "connection_not_ready", message: "graph-mail is not connected", status: "failed", status_message: "invalid_grant: reconnect required" },
    });
    const error = await caught(client().getOAuthConnection("graph-mail"));
    expect(error).toBeInstanceOf(ConnectionNotReadyError);
    expect(error).toMatchObject({
      code: "connection_not_ready",
      status: 503,
      connectionName: "graph-mail",
      connectionStatus: "failed",
      statusMessage: "invalid_grant: reconnect required",
    });
  });

  it("throws WorkflowDisabledError on 403 workflow_disabled", async () => {
    reply = () => ({
      status: 403,
      body: { error: "workflow_disabled", message: "Workflow wf-42 is disabled", workflow_id: "wf-42", disabled_reason: "connection graph-mail deleted" },
    });
    const error = await caught(client({ workflowId: "wf-42" }).getOAuthConnection("graph-mail"));
    expect(error).toBeInstanceOf(WorkflowDisabledError);
    expect(error).toMatchObject({ code: "workflow_disabled", status: 403, workflowId: "wf-42", reason: "connection graph-mail deleted" });
  });

  it("throws AuthenticationError on 401 and on a 403 forbidden", async () => {
    reply = () => ({ status: 401, body: { error: "unauthorized" } });
    const unauthorized = await caught(client().getOAuthConnection("graph-mail"));
    expect(unauthorized).toBeInstanceOf(AuthenticationError);
    expect(unauthorized).toMatchObject({ code: "unauthorized", status: 401 });

    reply = () => ({ status: 403, body: { error: "forbidden", message: "this key may not act in org other" } });
    const forbidden = await caught(client({ orgId: "other" }).getOAuthConnection("graph-mail"));
    expect(forbidden).toBeInstanceOf(AuthenticationError);
    expect(forbidden).toMatchObject({ code: "forbidden", status: 403, message: "this key may not act in org other" });
  });

  it("reports other 5xx answers, JSON or not, as service_unavailable", async () => {
    reply = () => ({ status: 500, body: { error: "internal_error", message: "boom" } });
    expect(await caught(client().getOAuthConnection("graph-mail"))).toMatchObject({ code: "service_unavailable", status: 500 });
    reply = () => ({ status: 502, raw: "<html>Bad Gateway</html>" });
    expect(await caught(client().getOAuthConnection("graph-mail"))).toMatchObject({ code: "service_unavailable", status: 502 });
    reply = () => ({ status: 503, body: { error: "storage_unavailable", message: "try later" } });
    expect(await caught(client().getOAuthConnection("graph-mail"))).toMatchObject({ code: "service_unavailable", status: 503 });
  });

  it("does not cache errors: the next call asks the service again", async () => {
    const oauth = client();
    reply = () => ({ status: 503, body: { error: "connection_not_ready", message: "waiting", status: "waiting_callback", status_message: null } });
    const failures = await Promise.allSettled(Array.from({ length: 3 }, () => oauth.getOAuthConnection("graph-mail")));
    expect(failures.every((result) => result.status === "rejected")).toBe(true);
    expect(seen).toHaveLength(1);

    reply = () => credentials();
    const token = await oauth.getOAuthConnection("graph-mail");
    expect(token.accessToken).toBe(ACCESS_TOKEN);
    expect(seen).toHaveLength(2);
  });

  it("rejects a malformed credentials answer as invalid_response without quoting the token", async () => {
    reply = () => credentials({ expires_at: "soon" });
    const error = await caught(client().getOAuthConnection("graph-mail"));
    expect(error).toMatchObject({ code: "invalid_response", status: 200 });
    expect(error.message).toContain("expires_at");
    expect(error.message).not.toContain(ACCESS_TOKEN);
  });

  it("reports an unreachable service as network_error after one retry", async () => {
    let attempts = 0;
    const failingFetch: typeof fetch = async () => {
      attempts += 1;
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    };
    const error = await caught(client({ fetch: failingFetch }).getOAuthConnection("graph-mail"));
    expect(error).toBeInstanceOf(OAuthHelperError);
    expect(error).toMatchObject({ code: "network_error", status: undefined });
    expect(error.message).toContain("ECONNREFUSED");
    expect(attempts).toBe(2);
  });

  it("succeeds when the retry after a network error gets through", async () => {
    let attempts = 0;
    const flakyFetch: typeof fetch = async (input, init) => {
      attempts += 1;
      if (attempts === 1) throw new TypeError("fetch failed", { cause: new Error("socket hang up") });
      return fetch(input, init);
    };
    const token = await client({ fetch: flakyFetch }).getOAuthConnection("graph-mail");
    expect(token.accessToken).toBe(ACCESS_TOKEN);
    expect(attempts).toBe(2);
  });

  it("gives each request a timeout signal and does not retry a timeout", async () => {
    const signals: Array<AbortSignal | null | undefined> = [];
    const slowFetch: typeof fetch = async (_input, init) => {
      signals.push(init?.signal);
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    };
    const error = await caught(client({ fetch: slowFetch, timeoutMs: 2500 }).getOAuthConnection("graph-mail"));
    expect(error).toMatchObject({ code: "network_error", message: expect.stringContaining("no answer within 2500 ms") });
    expect(signals).toHaveLength(1);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
  });

  it("never puts the API key in an error message, even when the service echoes it", async () => {
    const replies: Reply[] = [
      { status: 401, body: { error: "unauthorized", message: `unknown key ${API_KEY}` } },
      { status: 403, body: { error: "forbidden", message: `key ${API_KEY} may not act in org acme` } },
      { status: 403, body: { error: "workflow_disabled", message: `disabled for ${API_KEY}`, workflow_id: "wf-42", disabled_reason: null } },
      { status: 404, body: { error: "connection_not_found", message: `nothing for ${API_KEY}` } },
      { status: 503, body: { error: "connection_not_ready", message: API_KEY, status: "failed", status_message: null } },
      { status: 500, body: { error: "internal_error", message: `Bearer ${API_KEY}` } },
      { status: 400, body: { error: "validation_failed", message: API_KEY } },
      { status: 502, raw: API_KEY },
    ];
    const errors: Error[] = [];
    for (const next of replies) {
      reply = () => next;
      errors.push(await caught(client({ workflowId: "wf-42" }).getOAuthConnection("graph-mail")));
      errors.push(await caught(client({ workflowId: "wf-42" }).registerDependency("graph-mail")));
    }
    const refused: typeof fetch = async () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
    };
    errors.push(await caught(client({ fetch: refused }).getOAuthConnection("graph-mail")));
    errors.push(await caught(client().registerDependency("graph-mail")));

    expect(errors).toHaveLength(2 * replies.length + 2);
    for (const error of errors) {
      expect(error.message).not.toContain(API_KEY);
      expect(String(error)).not.toContain(API_KEY);
      expect(error.stack ?? "").not.toContain(API_KEY);
    }
  });
});

describe("registerDependency", () => {
  it("posts the connection and workflow name to the workflow's dependencies", async () => {
    reply = () => ({
      status: 201,
      body: { workflow_id: "wf 42", connection_name: "graph-mail", org_id: "acme", registered_at: new Date(T0).toISOString() },
    });
    await client({ workflowId: "wf 42", workflowName: "Nightly mail sync" }).registerDependency("graph-mail");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.url).toBe("/api/oauth/workflows/wf%2042/dependencies");
    expect(seen[0]!.headers).toMatchObject({ authorization: `Bearer ${API_KEY}`, "x-organization-id": "acme", "content-type": "application/json" });
    expect(JSON.parse(seen[0]!.body)).toEqual({ connection_name: "graph-mail", workflow_name: "Nightly mail sync" });
  });

  it("leaves workflow_name out when the client has none", async () => {
    reply = () => ({ status: 201, body: {} });
    await client({ workflowId: "wf-42" }).registerDependency("graph-mail");
    expect(JSON.parse(seen[0]!.body)).toEqual({ connection_name: "graph-mail" });
  });

  it("throws ConnectionNotFoundError when the connection does not exist", async () => {
    reply = () => ({ status: 404, body: { error: "connection_not_found", message: "no such connection" } });
    const error = await caught(client({ workflowId: "wf-42" }).registerDependency("nope"));
    expect(error).toBeInstanceOf(ConnectionNotFoundError);
    expect(error).toMatchObject({ connectionName: "nope", status: 404 });
  });

  it("refuses without a workflowId and sends nothing", async () => {
    const error = await caught(client().registerDependency("graph-mail"));
    expect(error.message).toContain("workflowId");
    expect(seen).toHaveLength(0);
  });
});

describe("constructor", () => {
  it("rejects options it could not send", () => {
    expect(() => client({ apiKey: "" })).toThrow(/apiKey/);
    expect(() => client({ baseUrl: "localhost:7071" })).toThrow(/baseUrl/);
    expect(() => client({ workflowName: "Café sync" })).toThrow(/workflowName/);
    expect(() => client({ refreshMarginSeconds: -1 })).toThrow(/refreshMarginSeconds/);
  });
});
