import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { createGuardedAgent, createGuardedLookup } from "./address-guard.js";
import { createProviderFetch, type ProviderFetchOptions } from "./provider-fetch.js";
import { ProviderRequestError } from "./provider-request-error.js";

const ORIGIN = "https://login.provider.example";
const TOKEN_URL = `${ORIGIN}/oauth/token`;
const FORM_BODY = "grant_type=client_credentials&client_id=abc";
const agents: MockAgent[] = [];

function setup(overrides: Partial<ProviderFetchOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const sleeps: number[] = [];
  const attempts: { attempt: number; status?: number; error?: string }[] = [];
  const providerFetch = createProviderFetch({
    dispatcher: agent,
    allowInsecureLoopback: false,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    onAttempt: (info) => attempts.push(info),
    ...overrides,
  });
  return { provider: agent.get(ORIGIN), agent, sleeps, attempts, providerFetch };
}

const tokenRequest = { method: "POST", headers: { accept: "application/json" }, body: new URLSearchParams(FORM_BODY) };
const expectedRequest = { path: "/oauth/token", method: "POST", body: FORM_BODY };

async function failureOf(promise: Promise<unknown>): Promise<ProviderRequestError> {
  const failure = await promise.then(() => undefined, (e: unknown) => e);
  expect(failure).toBeInstanceOf(ProviderRequestError);
  return failure as ProviderRequestError;
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

describe("createProviderFetch retries", () => {
  it("retries a 500 once with a jittered backoff and resends the same body", async () => {
    const { provider, sleeps, attempts, providerFetch } = setup();
    provider.intercept(expectedRequest).reply(500, "oops");
    provider.intercept({ ...expectedRequest, headers: { accept: "application/json" } }).reply(200, { access_token: "t" });
    const response = await providerFetch(TOKEN_URL, tokenRequest);
    expect(response.status).toBe(200);
    expect(sleeps).toEqual([125]);
    expect(attempts).toEqual([{ attempt: 1, status: 500 }, { attempt: 2, status: 200 }]);
  });

  it("waits as long as a 429 Retry-After in seconds asks", async () => {
    const { provider, sleeps, providerFetch } = setup();
    provider.intercept(expectedRequest).reply(429, "slow down", { headers: { "retry-after": "2" } });
    provider.intercept(expectedRequest).reply(200, "{}");
    expect((await providerFetch(TOKEN_URL, tokenRequest)).status).toBe(200);
    expect(sleeps).toEqual([2000]);
  });

  it("waits until the HTTP date of a 429 Retry-After", async () => {
    const { provider, sleeps, providerFetch } = setup({ clock: new ManualClock("2026-01-01T00:00:00.000Z") });
    provider.intercept(expectedRequest).reply(429, "", { headers: { "retry-after": "Thu, 01 Jan 2026 00:00:07 GMT" } });
    provider.intercept(expectedRequest).reply(200, "{}");
    expect((await providerFetch(TOKEN_URL, tokenRequest)).status).toBe(200);
    expect(sleeps).toEqual([7000]);
  });

  it("caps a long Retry-After at 30 seconds", async () => {
    const { provider, sleeps, providerFetch } = setup();
    provider.intercept(expectedRequest).reply(503, "", { headers: { "retry-after": "3600" } });
    provider.intercept(expectedRequest).reply(200, "{}");
    await providerFetch(TOKEN_URL, tokenRequest);
    expect(sleeps).toEqual([30_000]);
  });

  it("gives up after three retries and returns the last 503", async () => {
    const { provider, sleeps, attempts, providerFetch } = setup();
    provider.intercept(expectedRequest).reply(503, "down").times(4);
    const response = await providerFetch(TOKEN_URL, tokenRequest);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe("down");
    expect(attempts).toHaveLength(4);
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it("does not retry a 400", async () => {
    const { provider, sleeps, attempts, providerFetch } = setup();
    provider.intercept(expectedRequest).reply(400, { error: "invalid_grant" });
    expect((await providerFetch(TOKEN_URL, tokenRequest)).status).toBe(400);
    expect(attempts).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("retries a network error, then reports network_error without the query string", async () => {
    const { provider, sleeps, providerFetch } = setup({ maxRetries: 2 });
    provider.intercept({ path: "/oauth/token?code=secret-code", method: "GET" }).replyWithError(new Error("socket hang up")).times(3);
    const failure = await failureOf(providerFetch(`${TOKEN_URL}?code=secret-code`));
    expect(failure.code).toBe("network_error");
    expect(failure.transient).toBe(true);
    expect(failure.message).toContain("login.provider.example/oauth/token");
    expect(failure.message).not.toContain("secret-code");
    expect(sleeps).toHaveLength(2);
  });

  it("reports a timeout without resending a token request the provider may already have used", async () => {
    const { provider, attempts, providerFetch } = setup({ timeoutMs: 20, maxRetries: 1 });
    provider.intercept(expectedRequest).reply(200, "{}").delay(500).times(2);
    const failure = await failureOf(providerFetch(TOKEN_URL, tokenRequest));
    expect(failure.code).toBe("timeout");
    expect(failure.transient).toBe(true);
    expect(attempts).toEqual([{ attempt: 1, error: "timeout" }]);
  });

  it("retries a timed-out GET, which is safe to repeat", async () => {
    const { provider, attempts, providerFetch } = setup({ timeoutMs: 20, maxRetries: 1 });
    provider.intercept({ path: "/oauth/token", method: "GET" }).reply(200, "{}").delay(500).times(2);
    const failure = await failureOf(providerFetch(TOKEN_URL));
    expect(failure.code).toBe("timeout");
    expect(attempts).toEqual([{ attempt: 1, error: "timeout" }, { attempt: 2, error: "timeout" }]);
  });

  it("resends a token request whose connection was refused, since it never reached the provider", async () => {
    const { provider, attempts, providerFetch } = setup({ maxRetries: 1 });
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    provider.intercept(expectedRequest).replyWithError(refused);
    provider.intercept(expectedRequest).reply(200, "{}");
    expect((await providerFetch(TOKEN_URL, tokenRequest)).status).toBe(200);
    expect(attempts).toEqual([{ attempt: 1, error: "network_error" }, { attempt: 2, status: 200 }]);
  });

  it("stops at once when the caller aborts", async () => {
    const { provider, attempts, providerFetch } = setup();
    provider.intercept(expectedRequest).reply(200, "{}").delay(500);
    const failure = await providerFetch(TOKEN_URL, { ...tokenRequest, signal: AbortSignal.timeout(10) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DOMException);
    expect(attempts).toEqual([]);
  });

  it("buffers a stream body so a retry can send it again", async () => {
    const { provider, providerFetch } = setup();
    // A buffered body reaches MockAgent as bytes, which its string matcher does not compare.
    const sameBody = { ...expectedRequest, body: (sent: string) => Buffer.from(sent).toString() === FORM_BODY };
    provider.intercept(sameBody).reply(502, "");
    provider.intercept(sameBody).reply(200, "{}");
    const body = new Response(FORM_BODY).body;
    expect((await providerFetch(TOKEN_URL, { method: "POST", body, duplex: "half" })).status).toBe(200);
  });

  it("does not follow a redirect", async () => {
    const { provider, providerFetch } = setup();
    provider.intercept(expectedRequest).reply(302, "", { headers: { location: "https://attacker.example/collect" } });
    const response = await providerFetch(TOKEN_URL, { ...tokenRequest, redirect: "follow" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("https://attacker.example/collect");
  });
});

describe("createProviderFetch destinations", () => {
  it("refuses plain http to a provider before sending anything", async () => {
    const { attempts, providerFetch } = setup({ allowInsecureLoopback: true });
    const failure = await failureOf(providerFetch("http://login.provider.example/oauth/token?code=x"));
    expect(failure.code).toBe("insecure_url");
    expect(failure.transient).toBe(false);
    expect(failure.message).not.toContain("code=x");
    expect(attempts).toEqual([]);
  });

  it.each(["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"])(
    "allows http on loopback %s only with the insecure-loopback flag",
    async (origin) => {
      const refused = setup();
      expect((await failureOf(refused.providerFetch(`${origin}/token`))).code).toBe("insecure_url");
      const allowed = setup({ allowInsecureLoopback: true });
      allowed.agent.get(origin).intercept({ path: "/token" }).reply(200, "{}");
      expect((await allowed.providerFetch(`${origin}/token`)).status).toBe(200);
    },
  );

  it.each(["https://169.254.169.254/metadata/identity/oauth2/token", "https://[fd00:ec2::254]/latest/api/token", "https://[::ffff:169.254.169.254]/"])(
    "refuses the metadata address literal in %s without a request",
    async (url) => {
      const { attempts, providerFetch } = setup();
      const failure = await failureOf(providerFetch(url));
      expect(failure.code).toBe("blocked_address");
      expect(attempts).toEqual([]);
    },
  );

  it("refuses a host name that resolves to a link-local address, without retrying", async () => {
    const dispatcher = createGuardedAgent(createGuardedLookup((_h, _o, callback) => callback(null, [{ address: "169.254.169.254", family: 4 }])));
    const { sleeps, providerFetch } = setup({ dispatcher });
    try {
      const failure = await failureOf(providerFetch("https://sneaky.provider.example/token"));
      expect(failure.code).toBe("blocked_address");
      expect(failure.message).toContain("sneaky.provider.example/token");
      expect(sleeps).toEqual([]);
    } finally {
      await dispatcher.close();
    }
  });
});
