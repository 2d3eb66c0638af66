import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { caught, startFakeService, type Reply, type SeenRequest } from "../../tests/support/fake-service.js";
import { AuthenticationError, ConfigNotFoundError, OAuthHelperClient, OAuthHelperError } from "./index.js";

// A stand-in for the service's /api/config contract; the end-to-end test lives in tests/config.contract.test.ts.



const API_KEY = "ohk_test_config_0123456789abcdefghijklmnopqrstuvwxyz";

let service: Awaited<ReturnType<typeof startFakeService>>;
let origin: string;
let seen: SeenRequest[];
let reply: (request: SeenRequest) => Reply;

const entry = (type: string, value: unknown, orgId = "acme"): Reply => ({ status: 200, body: { key: "setting", type, value, org_id: orgId } });

function client(): OAuthHelperClient {
  return new OAuthHelperClient({ baseUrl: origin, apiKey: API_KEY, orgId: "acme" });
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
  reply = () => entry("string", "smtp.example.com");
});

describe("getConfig", () => {
  it("reads the key with the API key and org, URL-encoded", async () => {
    await client().getConfig("smtp host/1");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "GET", url: "/api/config/smtp%20host%2F1" });
    expect(seen[0]!.headers).toMatchObject({ authorization: `Bearer ${API_KEY}`, "x-organization-id": "acme" });
  });

  it("returns each type's value typed, with the answering org", async () => {
    const cases: Array<[string, unknown]> = [
      ["string", "smtp.example.com"],
      ["int", 587],
      ["bool", false],
      ["json", { retries: [1, 2], on: null }],
      ["secret_ref", "the-secret"],
    ];
    for (const [type, value] of cases) {
      reply = () => entry(type, value, "GLOBAL");
      expect(await client().getConfig("setting")).toEqual({ key: "setting", type, value, orgId: "GLOBAL" });
    }
  });

  it("asks the service on every call: config is not cached", async () => {
    const config = client();
    await config.getConfig("setting");
    await config.getConfig("setting");
    expect(seen).toHaveLength(2);
  });

  it("throws ConfigNotFoundError naming the key on 404 config_not_found", async () => {
    reply = () => ({ status: 404, body: { error: "config_not_found", message: "No config nope in organization acme or GLOBAL" } });
    const error = await caught(client().getConfig("nope"));
    expect(error).toBeInstanceOf(ConfigNotFoundError);
    expect(error).toMatchObject({ code: "config_not_found", status: 404, key: "nope", message: "No config nope in organization acme or GLOBAL" });
  });

  it("keeps the code of a refused connection secret (403 secret_not_readable)", async () => {
    reply = () => ({ status: 403, body: { error: "secret_not_readable", message: "holds an OAuth connection's secret" } });
    const error = await caught(client().getConfig("oauth_graph_client_secret"));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ code: "secret_not_readable", status: 403 });
  });

  it("rejects a malformed answer as invalid_response without quoting the value", async () => {
    reply = () => entry("int", "a-secret-looking-string");
    const error = await caught(client().getConfig("setting"));
    expect(error).toBeInstanceOf(OAuthHelperError);
    expect(error).toMatchObject({ code: "invalid_response", status: 200 });
    expect(error.message).toContain('"value"');
    expect(error.message).not.toContain("a-secret-looking-string");
    reply = () => ({ status: 200, body: { key: "setting", type: "yaml", value: "x", org_id: "acme" } });
    expect(await caught(client().getConfig("setting"))).toMatchObject({ code: "invalid_response", message: expect.stringContaining('"type"') });
  });

  it("refuses an empty key without asking the service", async () => {
    await expect(client().getConfig("")).rejects.toThrow(/config key/);
    expect(seen).toHaveLength(0);
  });
});
