import * as oauth from "oauth4webapi";
import { MockAgent } from "undici";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createProviderFetch } from "./provider-fetch.js";
import { ProviderRequestError } from "./provider-request-error.js";
import { createTokenEndpointFetch, normalizeTokenResponse } from "./token-response-normalizer.js";

function answer(status: number, body: string, contentType?: string, extraHeaders: Record<string, string> = {}): Response {
  const headers = new Headers(extraHeaders);
  if (contentType) headers.set("content-type", contentType);
  return new Response(body, { status, headers });
}

async function normalized(response: Response, options?: Parameters<typeof normalizeTokenResponse>[1]) {
  const result = await normalizeTokenResponse(response, options);
  return { status: result.status, contentType: result.headers.get("content-type"), body: (await result.json()) as Record<string, unknown> };
}

describe("normalizeTokenResponse successes", () => {
  it("turns a GitHub form-encoded answer into JSON with space-separated scopes", async () => {
    const form = "access_token=gho_abc&scope=repo%2Cgist&token_type=bearer";
    const result = await normalized(answer(200, form, "application/x-www-form-urlencoded; charset=utf-8"));
    expect(result.contentType).toBe("application/json");
    expect(result.body).toEqual({ access_token: "gho_abc", scope: "repo gist", token_type: "bearer", expires_in: 3600 });
  });

  it("reads a form body labelled text/plain", async () => {
    const result = await normalized(answer(200, "access_token=abc&token_type=bearer", "text/plain"));
    expect(result.body.access_token).toBe("abc");
  });

  it("adds a Bearer token_type when the provider leaves it out", async () => {
    const result = await normalized(answer(200, JSON.stringify({ access_token: "abc", expires_in: 60 }), "application/json"));
    expect(result.body).toEqual({ access_token: "abc", expires_in: 60, token_type: "Bearer" });
  });

  it("turns a numeric string expires_in into a number", async () => {
    const result = await normalized(answer(200, JSON.stringify({ access_token: "abc", token_type: "Bearer", expires_in: "3599" }), "application/json"));
    expect(result.body.expires_in).toBe(3599);
  });

  it("assumes an hour when expires_in is missing, or the configured default", async () => {
    const body = JSON.stringify({ access_token: "abc", token_type: "Bearer" });
    expect((await normalized(answer(200, body, "application/json"))).body.expires_in).toBe(3600);
    expect((await normalized(answer(200, body, "application/json"), { defaultExpiresIn: 7200 })).body.expires_in).toBe(7200);
  });

  it("drops the id_token only when asked", async () => {
    const body = JSON.stringify({ access_token: "abc", token_type: "Bearer", expires_in: 60, id_token: "a.b.c" });
    expect((await normalized(answer(200, body, "application/json"))).body.id_token).toBe("a.b.c");
    expect((await normalized(answer(200, body, "application/json"), { dropIdToken: true })).body).not.toHaveProperty("id_token");
  });
});

describe("normalizeTokenResponse errors", () => {
  it("turns a GitHub 200-with-error into a 400 error response", async () => {
    const body = JSON.stringify({ error: "bad_verification_code", error_description: "The code is incorrect.", error_uri: "https://docs" });
    const result = await normalized(answer(200, body, "application/json"));
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: "bad_verification_code", error_description: "The code is incorrect.", error_uri: "https://docs" });
  });

  it("turns a Slack ok:false answer into a 400 error response", async () => {
    const result = await normalized(answer(200, JSON.stringify({ ok: false, error: "invalid_auth" }), "application/json; charset=utf-8"));
    expect(result).toEqual({ status: 400, contentType: "application/json", body: { error: "invalid_auth" } });
  });

  it("refuses an HTML page sent with 200 without quoting it", async () => {
    const html = "<html><body>Sign in again, your code=SECRET123</body></html>";
    const failure: unknown = await normalizeTokenResponse(answer(200, html, "text/html; charset=utf-8")).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderRequestError);
    const error = failure as ProviderRequestError;
    expect(error).toMatchObject({ code: "invalid_response", status: 200, transient: true });
    expect(error.message).toContain("text/html");
    expect(error.message).not.toContain("SECRET123");
    expect(error.message).not.toContain("<html>");
  });

  it("refuses a JSON success that is not an object", async () => {
    const failure: unknown = await normalizeTokenResponse(answer(200, '"token"', "application/json")).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "invalid_response" });
  });

  it("replaces a 502 HTML page with a JSON server_error keeping the status", async () => {
    const result = await normalized(answer(502, "<html>Bad gateway</html>", "text/html"));
    expect(result).toEqual({
      status: 502,
      contentType: "application/json",
      body: { error: "server_error", error_description: "HTTP 502 from the token endpoint" },
    });
  });

  it("calls a non-JSON 429 temporarily_unavailable", async () => {
    expect((await normalized(answer(429, "Too many requests", "text/plain"))).body.error).toBe("temporarily_unavailable");
  });

  it("passes a JSON error through with its headers", async () => {
    const body = { error: "invalid_grant", error_description: "expired" };
    const result = await normalizeTokenResponse(answer(400, JSON.stringify(body), "application/json", { "dpop-nonce": "n1" }));
    expect(result.status).toBe(400);
    expect(result.headers.get("dpop-nonce")).toBe("n1");
    expect(await result.json()).toEqual(body);
  });
});

describe("createTokenEndpointFetch with oauth4webapi", () => {
  const ORIGIN = "http://127.0.0.1:9411";
  const as: oauth.AuthorizationServer = { issuer: ORIGIN, token_endpoint: `${ORIGIN}/login/oauth/access_token` };
  const client: oauth.Client = { client_id: "client-1" };
  const agent = new MockAgent();
  agent.disableNetConnect();
  const tokenEndpointFetch = createTokenEndpointFetch(createProviderFetch({ dispatcher: agent, allowInsecureLoopback: true }));

  afterEach(() => agent.assertNoPendingInterceptors());
  afterAll(() => agent.close());

  function requestToken(): Promise<Response> {
    return oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost("s3cret"), new URLSearchParams({ scope: "repo" }), {
      [oauth.customFetch]: tokenEndpointFetch,
      [oauth.allowInsecureRequests]: true,
    });
  }

  it("accepts a form-encoded answer with a string expires_in and no token_type", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/login/oauth/access_token", method: "POST", body: (sent) => new URLSearchParams(sent).get("client_secret") === "s3cret" })
      .reply(200, "access_token=gho_abc&expires_in=28800&scope=repo%2Cgist", { headers: { "content-type": "application/x-www-form-urlencoded" } });
    const result = await oauth.processClientCredentialsResponse(as, client, await requestToken());
    expect(result).toMatchObject({ access_token: "gho_abc", token_type: "bearer", expires_in: 28800, scope: "repo gist" });
  });

  it("surfaces a 200-with-error answer as a ResponseBodyError", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/login/oauth/access_token", method: "POST" })
      .reply(200, { error: "incorrect_client_credentials", error_description: "The client_id and/or client_secret passed are incorrect." });
    const failure: unknown = await oauth.processClientCredentialsResponse(as, client, await requestToken()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(oauth.ResponseBodyError);
    expect(failure).toMatchObject({ error: "incorrect_client_credentials", status: 400 });
  });
});
