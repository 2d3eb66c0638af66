import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizeInBrowser, type BrowserLanding } from "./browser-login.js";
import {
  BASIC_CLIENT,
  POST_CLIENT,
  startTestAuthorizationServer,
  type TestAuthorizationServer,
  type TestClient,
} from "./test-authorization-server.js";

const REDIRECT_URI = "https://oauth-helper.example.test/api/oauth/callback/demo";
const insecure = { [oauth.allowInsecureRequests]: true };

interface Authorization {
  landing: BrowserLanding;
  state: string;
  codeVerifier: string;
}

function metadata(server: TestAuthorizationServer): oauth.AuthorizationServer {
  return {
    issuer: server.issuer,
    authorization_endpoint: server.authorizationEndpoint,
    token_endpoint: server.tokenEndpoint,
    userinfo_endpoint: server.userinfoEndpoint,
    introspection_endpoint: server.introspectionEndpoint,
    authorization_response_iss_parameter_supported: true,
  };
}

function clientAuth(client: TestClient): oauth.ClientAuth {
  const secret = client.clientSecret ?? "";
  return client.tokenEndpointAuthMethod === "client_secret_basic" ? oauth.ClientSecretBasic(secret) : oauth.ClientSecretPost(secret);
}

async function authorize(
  server: TestAuthorizationServer,
  client: TestClient,
  options: { pkce?: boolean; params?: Record<string, string>; decision?: "approve" | "deny" } = {},
): Promise<Authorization> {
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(server.authorizationEndpoint);
  url.searchParams.set("client_id", client.clientId);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("redirect_uri", REDIRECT_URI);
  url.searchParams.set("scope", "openid offline_access email api:read");
  url.searchParams.set("state", state);
  if (options.pkce ?? true) {
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
  }
  for (const [name, value] of Object.entries(options.params ?? {})) url.searchParams.set(name, value);
  const landing = await authorizeInBrowser(url.href, { stopAt: REDIRECT_URI, decision: options.decision ?? "approve" });
  return { landing, state, codeVerifier };
}

function landingParams(landing: BrowserLanding): URLSearchParams {
  return landing.method === "GET" ? new URL(landing.url).searchParams : new URLSearchParams(landing.form);
}

async function exchangeCode(server: TestAuthorizationServer, client: TestClient, authorization: Authorization) {
  const as = metadata(server);
  const oauthClient = { client_id: client.clientId };
  const params = oauth.validateAuthResponse(as, oauthClient, landingParams(authorization.landing), authorization.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    oauthClient,
    clientAuth(client),
    params,
    REDIRECT_URI,
    authorization.codeVerifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(as, oauthClient, response);
}

async function statusAndError(response: Response): Promise<[number, unknown]> {
  const body: unknown = await response.json();
  return [response.status, typeof body === "object" && body !== null && "error" in body ? body.error : undefined];
}

async function refresh(server: TestAuthorizationServer, client: TestClient, refreshToken: string): Promise<Response> {
  return oauth.refreshTokenGrantRequest(metadata(server), { client_id: client.clientId }, clientAuth(client), refreshToken, insecure);
}

describe("the test authorization server", () => {
  let server: TestAuthorizationServer;

  beforeAll(async () => {
    server = await startTestAuthorizationServer({ redirectUris: [REDIRECT_URI] });
  });

  afterAll(async () => {
    await server.close();
  });

  it("issues tokens to a client_secret_basic client after login and consent, and the access token works at /me", async () => {
    const authorization = await authorize(server, BASIC_CLIENT);
    expect(authorization.landing.method).toBe("GET");
    expect(landingParams(authorization.landing).get("iss")).toBe(server.issuer);

    const tokens = await exchangeCode(server, BASIC_CLIENT, authorization);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const as = metadata(server);
    const client = { client_id: BASIC_CLIENT.clientId };
    const userinfo = await oauth.processUserInfoResponse(
      as,
      client,
      "alice",
      await oauth.userInfoRequest(as, client, tokens.access_token, insecure),
    );
    expect(userinfo.email).toBe("alice@example.test");

    expect(server.tokenRequests.at(-1)).toEqual({
      grantType: "authorization_code",
      clientId: "basic-client",
      authMethod: "client_secret_basic",
      hadCodeVerifier: true,
      hadRedirectUri: REDIRECT_URI,
      status: 200,
    });
    expect(server.authorizationRequests.at(-1)).toMatchObject({
      clientId: "basic-client",
      hadCodeChallenge: true,
      codeChallengeMethod: "S256",
      extraParams: {},
    });
  });

  it("records client_secret_post when the client sends its secret in the body", async () => {
    await exchangeCode(server, POST_CLIENT, await authorize(server, POST_CLIENT));
    expect(server.tokenRequests.at(-1)).toMatchObject({ clientId: "post-client", authMethod: "client_secret_post", status: 200 });
  });

  it("refuses an authorization request without PKCE when PKCE is required", async () => {
    const { landing } = await authorize(server, BASIC_CLIENT, { pkce: false });
    expect(landingParams(landing).get("error")).toBe("invalid_request");
    expect(server.authorizationRequests.at(-1)?.hadCodeChallenge).toBe(false);
  });

  it("lands with a POST form when response_mode is form_post", async () => {
    const { landing } = await authorize(server, BASIC_CLIENT, { params: { response_mode: "form_post" } });
    expect(landing).toMatchObject({ method: "POST", url: REDIRECT_URI });
    expect(landingParams(landing).get("code")).toEqual(expect.any(String));
    expect(landingParams(landing).get("iss")).toBe(server.issuer);
    expect(server.authorizationRequests.at(-1)?.responseMode).toBe("form_post");
  });

  it("answers access_denied when the user denies consent", async () => {
    const { landing } = await authorize(server, BASIC_CLIENT, { decision: "deny" });
    expect(landingParams(landing).get("error")).toBe("access_denied");
  });

  it("revokes the whole grant when a rotated refresh token is reused", async () => {
    const first = await exchangeCode(server, BASIC_CLIENT, await authorize(server, BASIC_CLIENT));
    const oldToken = first.refresh_token ?? "";

    const rotated = await oauth.processRefreshTokenResponse(
      metadata(server),
      { client_id: BASIC_CLIENT.clientId },
      await refresh(server, BASIC_CLIENT, oldToken),
    );
    expect(rotated.refresh_token).not.toBe(oldToken);

    const reuse = await refresh(server, BASIC_CLIENT, oldToken);
    expect(await statusAndError(reuse)).toEqual([400, "invalid_grant"]);
    expect(server.tokenRequests.at(-1)).toMatchObject({ grantType: "refresh_token", status: 400, error: "invalid_grant" });

    const newest = await refresh(server, BASIC_CLIENT, rotated.refresh_token ?? "");
    expect(await statusAndError(newest)).toEqual([400, "invalid_grant"]);
  });

  it("issues a client_credentials token with scope api:read that introspects as active", async () => {
    const as = metadata(server);
    const client = { client_id: POST_CLIENT.clientId };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, clientAuth(POST_CLIENT), { scope: "api:read" }, insecure),
    );
    expect(tokens.scope).toBe("api:read");
    expect(server.tokenRequests.at(-1)).toMatchObject({ grantType: "client_credentials", authMethod: "client_secret_post" });

    const introspection = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, clientAuth(POST_CLIENT), tokens.access_token, insecure),
    );
    expect(introspection).toMatchObject({ active: true, client_id: "post-client", scope: "api:read" });
  });

  it("accepts a client added at runtime with its own redirect URI", async () => {
    const client: TestClient = { ...POST_CLIENT, clientId: "late-client", redirectUris: [REDIRECT_URI] };
    await server.addClient(client);
    const tokens = await exchangeCode(server, client, await authorize(server, client));
    expect(tokens.access_token).toEqual(expect.any(String));
  });
});

describe("a test authorization server that does not require PKCE", () => {
  it("accepts an authorization request without a code challenge", async () => {
    const server = await startTestAuthorizationServer({ requirePkce: false, redirectUris: [REDIRECT_URI] });
    try {
      const authorization = await authorize(server, BASIC_CLIENT, { pkce: false });
      const as = metadata(server);
      const client = { client_id: BASIC_CLIENT.clientId };
      const params = oauth.validateAuthResponse(as, client, landingParams(authorization.landing), authorization.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(BASIC_CLIENT),
        params,
        REDIRECT_URI,
        oauth.nopkce,
        insecure,
      );
      await oauth.processAuthorizationCodeResponse(as, client, response);
      expect(server.tokenRequests.at(-1)).toMatchObject({ hadCodeVerifier: false, status: 200 });
    } finally {
      await server.close();
    }
  });
});
