import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countRows } from "./support/table-rows.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

/** Every case here must be refused with the right status and error body, and must write nothing. */
describe("bad input to POST /api/oauth/connections", () => {
  let app: TestApp;
  let clientSecret: string;
  const valid = () => ({
    connection_name: "valid-name",
    oauth_flow_type: "authorization_code",
    client_id: "client",
    client_secret: clientSecret,
    authorization_url: "https://idp.example.com/authorize",
    token_url: "https://idp.example.com/token",
    scopes: "openid",
  });

  beforeAll(async () => {
    app = await createTestApp();
    clientSecret = app.secret("client-secret");
  });
  afterAll(() => {
    expect(app.leaks()).toEqual([]);
  });

  async function expectRefused(status: number, error: string, options: Parameters<TestApp["call"]>[2], field?: string) {
    const before = await countRows(app.services.tables);
    const response = await app.call("POST", "/api/oauth/connections", options);
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ error, message: expect.any(String) });
    if (field !== undefined) expect(response.json.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await countRows(app.services.tables)).toEqual(before);
    return response;
  }

  it("refuses a body that is not JSON", async () => {
    await expectRefused(400, "invalid_json", { rawBody: "{not json" });
  });

  it("refuses a JSON body that is not an object", async () => {
    await expectRefused(400, "invalid_json", { rawBody: "[1,2]" });
    await expectRefused(400, "invalid_json", { rawBody: "" });
  });

  it("refuses wrong types field by field", async () => {
    const response = await expectRefused(400, "validation_failed", { body: { ...valid(), client_id: 42, use_pkce: "yes" } }, "client_id");
    expect(response.json.details.map((d: { field: string }) => d.field)).toContain("use_pkce");
  });

  it("refuses unknown fields and names them", async () => {
    const response = await expectRefused(400, "validation_failed", { body: { ...valid(), client_secrett: "typo" } }, "(body)");
    expect(response.json.details[0].message).toContain("client_secrett");
  });

  it.each([
    ["authorization_code without authorization_url", { authorization_url: undefined }, "authorization_url"],
    ["client_credentials without client_secret", { oauth_flow_type: "client_credentials", client_secret: undefined }, "client_secret"],
    ["refresh_token without refresh_token", { oauth_flow_type: "refresh_token" }, "refresh_token"],
    ["a refresh_token on another flow", { refresh_token: "rt" }, "refresh_token"],
    ["no token_url", { token_url: undefined }, "token_url"],
    ["no client_id", { client_id: undefined }, "client_id"],
    ["an unknown flow", { oauth_flow_type: "implicit" }, "oauth_flow_type"],
    ["an unknown token auth method", { token_auth_method: "private_key_jwt" }, "token_auth_method"],
    ["a reserved authorization parameter", { authorization_params: { redirect_uri: "https://evil.example" } }, "authorization_params"],
    ["a reserved token parameter", { token_params: { grant_type: "password" } }, "token_params"],
    ["a scope with a quote", { scopes: 'openid "x' }, "scopes"],
  ])("refuses %s", async (_label, change, field) => {
    await expectRefused(400, "validation_failed", { body: { ...valid(), ...change } }, field);
  });

  it.each([
    ["a slash", "a/b"],
    ["a dot-dot", ".."],
    ["a quote", "o'brien"],
    ["a hash", "a#b"],
    ["a question mark", "a?b"],
    ["a space", "a b"],
    ["non-ASCII", "café"],
    ["101 characters", "a".repeat(101)],
    ["nothing", ""],
  ])("refuses a connection_name with %s", async (_label, name) => {
    await expectRefused(400, "validation_failed", { body: { ...valid(), connection_name: name } }, "connection_name");
  });

  it.each([
    ["plain http", "http://idp.example.com/token"],
    ["loopback http without OAUTH_ALLOW_INSECURE_LOOPBACK", "http://127.0.0.1:9000/token"],
    ["ftp", "ftp://idp.example.com/token"],
    ["a relative URL", "/token"],
    ["credentials in the URL", "https://user:pass@idp.example.com/token"],
    ["a fragment", "https://idp.example.com/token#x"],
    ["a cloud metadata address", "https://169.254.169.254/latest/meta-data"],
    ["an IPv6 metadata address", "https://[fd00:ec2::254]/token"],
  ])("refuses a token_url with %s", async (_label, url) => {
    await expectRefused(400, "validation_failed", { body: { ...valid(), token_url: url } }, "token_url");
  });

  it("refuses non-https authorization_url and test_url too", async () => {
    await expectRefused(400, "validation_failed", { body: { ...valid(), authorization_url: "http://idp.example.com/a" } }, "authorization_url");
    await expectRefused(400, "validation_failed", { body: { ...valid(), test_url: "http://idp.example.com/me" } }, "test_url");
  });

  it.each([
    ["a quote", "acme'"],
    ["a slash", "acme/x"],
    ["65 characters", "o".repeat(65)],
  ])("refuses an X-Organization-Id with %s", async (_label, org) => {
    await expectRefused(400, "validation_failed", { org, body: valid() }, "header.X-Organization-Id");
  });

  it("refuses a body over 64 KiB with 413", async () => {
    const body = JSON.stringify({ ...valid(), client_id: "x".repeat(64 * 1024) });
    await expectRefused(413, "payload_too_large", { rawBody: body });
  });

  it("refuses a declared Content-Length over 64 KiB before reading the body", async () => {
    await expectRefused(413, "payload_too_large", { rawBody: JSON.stringify(valid()), headers: { "content-length": String(65 * 1024) } });
  });

  it("refuses a request without a key with 401 and a Bearer challenge", async () => {
    const response = await expectRefused(401, "unauthorized", { key: null, body: valid() });
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("refuses an unknown key and a malformed Authorization header with 401", async () => {
    await expectRefused(401, "unauthorized", { key: "ohk_unknown", body: valid() });
    await expectRefused(401, "unauthorized", { key: null, headers: { authorization: `Basic ${btoa("a:b")}` }, body: valid() });
  });

  it("refuses a revoked key with 401", async () => {
    const key = await app.issueKey("admin", "revoked-org");
    const { json } = await app.call("GET", "/api/oauth/keys");
    const id = json.keys.find((k: { name: string }) => k.name === "admin-revoked-org").id;
    expect((await app.call("DELETE", `/api/oauth/keys/${id}`)).status).toBe(200);
    await expectRefused(401, "unauthorized", { key, body: valid() });
  });

  it("refuses an org-scoped key acting on another org, or writing a GLOBAL connection, with 403", async () => {
    const key = await app.issueKey("admin", "acme");
    await expectRefused(403, "forbidden", { key, org: "other-org", body: valid() });
    await expectRefused(403, "forbidden", { key, org: "GLOBAL", body: valid() });
  });

  it("refuses a workflow key with 403: workflow keys cannot change configuration", async () => {
    const key = await app.issueKey("workflow", "GLOBAL");
    await expectRefused(403, "forbidden", { key, body: valid() });
  });

  it("accepts loopback http provider URLs when OAUTH_ALLOW_INSECURE_LOOPBACK is on", async () => {
    const lenient = await createTestApp({ env: { OAUTH_ALLOW_INSECURE_LOOPBACK: "true" } });
    const body = { ...valid(), authorization_url: "http://127.0.0.1:9000/auth", token_url: "http://localhost:9000/token" };
    expect((await lenient.call("POST", "/api/oauth/connections", { body })).status).toBe(201);
    const remote = await lenient.call("POST", "/api/oauth/connections", { body: { ...body, connection_name: "remote", token_url: "http://idp.example.com/token" } });
    expect(remote.status).toBe(400);
  });
});
