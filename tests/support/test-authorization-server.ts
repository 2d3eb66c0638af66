import { generateKeyPair } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Configuration, ProviderContext } from "oidc-provider";

/** A client registered at the test authorization server. */
export interface TestClient {
  clientId: string;
  /** Omitted only for `none` (public) clients. */
  clientSecret?: string;
  tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post" | "none";
  /** Defaults to the server's `redirectUris` option. */
  redirectUris?: string[];
  /** Defaults to authorization_code, refresh_token and client_credentials (the last dropped for `none`). */
  grantTypes?: string[];
  /** Defaults to every scope the server knows. */
  scope?: string;
}

/** Options for {@link startTestAuthorizationServer}; every field has a test-friendly default. */
export interface TestAuthorizationServerOptions {
  requirePkce?: boolean;
  accessTokenTtlSeconds?: number;
  rotateRefreshTokens?: boolean;
  /** Exact redirect URIs registered on every client that does not list its own. */
  redirectUris?: string[];
  /** Replaces the default `basic-client` and `post-client`. */
  clients?: TestClient[];
  /** Lifetime of access tokens from the authorization-code grant, when it should differ from refreshed ones. */
  codeGrantAccessTokenTtlSeconds?: number;
  /** Awaited before each `POST /token` is handled: provider latency, or a gate a test opens. */
  beforeToken?: () => Promise<void>;
}

/** What the recording middleware saw of one `POST /token`. */
export interface RecordedTokenRequest {
  grantType: string;
  clientId?: string;
  authMethod: "client_secret_basic" | "client_secret_post" | "none";
  hadCodeVerifier: boolean;
  hadRedirectUri: string | undefined;
  status: number;
  error?: string;
}

/** What the recording middleware saw of one `GET /auth` (the request the client built, before login). */
export interface RecordedAuthorizationRequest {
  clientId?: string;
  redirectUri?: string;
  state?: string;
  hadCodeChallenge: boolean;
  codeChallengeMethod?: string;
  responseMode?: string;
  scope?: string;
  /** Every parameter not named above and not response_type (e.g. nonce, prompt, audience). */
  extraParams: Record<string, string>;
}

/** A running oidc-provider with request recording. */
export interface TestAuthorizationServer {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  introspectionEndpoint: string;
  tokenRequests: RecordedTokenRequest[];
  authorizationRequests: RecordedAuthorizationRequest[];
  /** The most `POST /token` requests that were being handled at the same time. */
  peakConcurrentTokenRequests(): number;
  /** Registers another client while the server runs (e.g. one with a fresh redirect URI). */
  addClient(client: TestClient): Promise<void>;
  close(): Promise<void>;
}

/** Every scope the server knows; clients may only list values from here. */
export const TEST_SCOPES = ["openid", "offline_access", "profile", "email", "api:read"] as const;

/** A confidential client that authenticates with HTTP Basic. */
export const BASIC_CLIENT: TestClient = {
  clientId: "basic-client",
  clientSecret: "basic-client-secret",
  tokenEndpointAuthMethod: "client_secret_basic",
};

/** A confidential client that authenticates with client_secret in the form body. */
export const POST_CLIENT: TestClient = {
  clientId: "post-client",
  clientSecret: "post-client-secret",
  tokenEndpointAuthMethod: "client_secret_post",
};

const DEFAULT_REDIRECT_URIS = ["https://oauth-helper.example.test/api/oauth/callback/demo"];

// Notices oidc-provider prints on every start of a test server; anything else still reaches the console.
const EXPECTED_NOTICES = [
  "oidc-provider WARNING: Unsupported runtime",
  "oidc-provider WARNING: a quick start development-only",
];

interface IntrospectingClient {
  clientId: string;
  clientAuthMethod: string;
}

const DAY_SECONDS = 24 * 60 * 60;

type ProviderClass = typeof import("oidc-provider").default;
type SigningKey = Record<string, unknown>;
let providerClass: Promise<ProviderClass> | undefined;
let signingKey: Promise<SigningKey> | undefined;

/** Starts oidc-provider on a free 127.0.0.1 port. */
export async function startTestAuthorizationServer(
  options: TestAuthorizationServerOptions = {},
): Promise<TestAuthorizationServer> {
  const Provider = await loadProvider();
  const httpServer = createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const redirectUris = options.redirectUris ?? DEFAULT_REDIRECT_URIS;
  const clients = (options.clients ?? [BASIC_CLIENT, POST_CLIENT]).map((c) => clientMetadata(c, redirectUris));
  const config = configuration(options, clients, await loadSigningKey());
  const provider = quietly(() => new Provider(issuer, config));

  const tokenRequests: RecordedTokenRequest[] = [];
  const authorizationRequests: RecordedAuthorizationRequest[] = [];
  let inFlight = 0;
  let peak = 0;
  provider.use(async (ctx, next) => {
    if (ctx.method === "GET" && ctx.path === "/auth") authorizationRequests.push(recordAuthorization(ctx.query));
    const isToken = ctx.method === "POST" && ctx.path === "/token";
    if (isToken) peak = Math.max(peak, ++inFlight);
    try {
      if (isToken) await options.beforeToken?.();
      await next();
    } finally {
      if (isToken) inFlight--;
    }
    // Read after next(): only then has oidc-provider parsed the body (it reads the stream itself).
    if (isToken) tokenRequests.push(recordToken(ctx));
  });
  httpServer.on("request", provider.callback());

  return {
    issuer,
    peakConcurrentTokenRequests: () => peak,
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    userinfoEndpoint: `${issuer}/me`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    tokenRequests,
    authorizationRequests,
    async addClient(client) {
      // The in-memory adapter doubles as a dynamic client store; find() validates the metadata.
      await provider.Client.adapter.upsert(client.clientId, clientMetadata(client, redirectUris));
      await provider.Client.find(client.clientId);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpServer.closeAllConnections();
        httpServer.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function configuration(
  options: TestAuthorizationServerOptions,
  clients: Array<Record<string, unknown>>,
  key: SigningKey,
): Configuration {
  const requirePkce = options.requirePkce ?? true;
  const ttl = options.accessTokenTtlSeconds ?? 60;
  return {
    clients,
    jwks: { keys: [key] },
    // Statically listed scopes pass through client_credentials without a resource indicator.
    scopes: [...TEST_SCOPES],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: {
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The default policy, restated only so it does not print a notice.
        allowedPolicy: async (_ctx: unknown, client: IntrospectingClient, token: { clientId?: string }) =>
          client.clientAuthMethod !== "none" || token.clientId === client.clientId,
      },
      devInteractions: { enabled: true },
    },
    pkce: { required: () => requirePkce },
    // The default also demands offline_access plus prompt=consent; the app should get one regardless.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: options.rotateRefreshTokens ?? true,
    clockTolerance: 0,
    // Every lifetime set explicitly: the defaults print a notice each.
    ttl: {
      AccessToken:
        options.codeGrantAccessTokenTtlSeconds === undefined
          ? ttl
          : (ctx) => (ctx.oidc?.params?.grant_type === "authorization_code" ? options.codeGrantAccessTokenTtlSeconds! : ttl),
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: DAY_SECONDS,
      Grant: 14 * DAY_SECONDS,
      RefreshToken: 14 * DAY_SECONDS,
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: sub }),
    }),
  };
}

function clientMetadata(client: TestClient, redirectUris: string[]): Record<string, unknown> {
  const isPublic = client.tokenEndpointAuthMethod === "none";
  return {
    client_id: client.clientId,
    ...(client.clientSecret === undefined ? {} : { client_secret: client.clientSecret }),
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    redirect_uris: client.redirectUris ?? redirectUris,
    response_types: ["code"],
    grant_types: client.grantTypes ?? ["authorization_code", "refresh_token", ...(isPublic ? [] : ["client_credentials"])],
    scope: client.scope ?? TEST_SCOPES.join(" "),
  };
}

const NAMED_AUTHORIZATION_PARAMS = new Set([
  "client_id",
  "redirect_uri",
  "state",
  "code_challenge",
  "code_challenge_method",
  "response_mode",
  "scope",
  "response_type",
]);

function recordAuthorization(query: ProviderContext["query"]): RecordedAuthorizationRequest {
  const param = (name: string): string | undefined => {
    const value = query[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const extraParams: Record<string, string> = {};
  for (const name of Object.keys(query)) {
    const value = param(name);
    if (!NAMED_AUTHORIZATION_PARAMS.has(name) && value !== undefined) extraParams[name] = value;
  }
  return {
    clientId: param("client_id"),
    redirectUri: param("redirect_uri"),
    state: param("state"),
    hadCodeChallenge: Boolean(param("code_challenge")),
    codeChallengeMethod: param("code_challenge_method"),
    responseMode: param("response_mode"),
    scope: param("scope"),
    extraParams,
  };
}

function recordToken(ctx: ProviderContext): RecordedTokenRequest {
  const body = ctx.oidc?.body ?? {};
  const field = (name: string): string | undefined => {
    const value = body[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const authorization = ctx.get("authorization");
  const authMethod = authorization.toLowerCase().startsWith("basic ")
    ? "client_secret_basic"
    : field("client_secret") !== undefined
      ? "client_secret_post"
      : "none";
  const error = ctx.status >= 400 ? errorCode(ctx.body) : undefined;
  return {
    grantType: field("grant_type") ?? "",
    clientId: ctx.oidc?.client?.clientId ?? field("client_id") ?? basicUser(authorization),
    authMethod,
    hadCodeVerifier: Boolean(field("code_verifier")),
    hadRedirectUri: field("redirect_uri"),
    status: ctx.status,
    ...(error === undefined ? {} : { error }),
  };
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("error" in body)) return undefined;
  return typeof body.error === "string" ? body.error : undefined;
}

function basicUser(authorization: string): string | undefined {
  if (!authorization.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decodeURIComponent(decoded.slice(0, colon));
}

function loadProvider(): Promise<ProviderClass> {
  // Imported lazily so the Node 20 runtime notice printed at import time can be filtered.
  providerClass ??= quietlyAsync(async () => (await import("oidc-provider")).default);
  return providerClass;
}

function loadSigningKey(): Promise<SigningKey> {
  // One RSA key per test process: oidc-provider signs ID tokens with RS256 by default.
  signingKey ??= new Promise((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: 2048 }, (error, _publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ ...privateKey.export({ format: "jwk" }), kid: "test-signing-key", use: "sig", alg: "RS256" });
    });
  });
  return signingKey;
}

function quietly<T>(action: () => T): T {
  const restore = filterExpectedNotices();
  try {
    return action();
  } finally {
    restore();
  }
}

async function quietlyAsync<T>(action: () => Promise<T>): Promise<T> {
  const restore = filterExpectedNotices();
  try {
    return await action();
  } finally {
    restore();
  }
}

function filterExpectedNotices(): () => void {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === "string" && EXPECTED_NOTICES.some((notice) => first.includes(notice))) return;
    original(...args);
  };
  return () => {
    console.warn = original;
  };
}
