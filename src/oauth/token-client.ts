import * as oauth from "oauth4webapi";
import type { TokenAuthMethod } from "../storage/connection-repository.js";
import { ProviderRequestError } from "./provider-request-error.js";
import { PERMANENT_TOKEN_ERRORS, type TokenFailure } from "./token-failure.js";
import { createTokenEndpointFetch } from "./token-response-normalizer.js";
import type { ProviderFetch } from "./provider-fetch.js";

/** What a token request needs to know about the provider and the client. */
export interface TokenEndpointConfig {
  token_url: string;
  authorization_url: string | undefined;
  issuer: string | undefined;
  client_id: string;
  client_secret: string | undefined;
  token_auth_method: TokenAuthMethod;
  token_params: Record<string, string>;
}

/** A successful token response (RFC 6749 §5.1), normalised. */
export interface TokenGrant {
  access_token: string;
  refresh_token: string | undefined;
  token_type: string;
  expires_in: number;
  scope: string | undefined;
}

export type TokenOutcome = { ok: true; grant: TokenGrant } | { ok: false; failure: TokenFailure };

/** Token requests through oauth4webapi, with a fetch that retries and normalises real-world answers. */
export class TokenClient {
  constructor(
    private readonly providerFetch: ProviderFetch,
    private readonly allowInsecureLoopback: boolean,
  ) {}

  /** RFC 6749 §4.1.3; `callback` must come from `validateCallback`. */
  exchangeCode(config: TokenEndpointConfig, callback: URLSearchParams, redirectUri: string, codeVerifier: string | undefined): Promise<TokenOutcome> {
    return this.#request(config, async (as, client, auth, options) => {
      const response = await oauth.authorizationCodeGrantRequest(as, client, auth, callback as never, redirectUri, codeVerifier ?? oauth.nopkce, options);
      return oauth.processAuthorizationCodeResponse(as, client, response);
    });
  }

  /** RFC 6749 §4.4. */
  clientCredentials(config: TokenEndpointConfig, scopes: string[]): Promise<TokenOutcome> {
    return this.#request(config, async (as, client, auth, options) => {
      const parameters = new URLSearchParams(config.token_params);
      if (scopes.length > 0) parameters.set("scope", scopes.join(" "));
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, options);
      return oauth.processClientCredentialsResponse(as, client, response);
    });
  }

  /** RFC 6749 §6. */
  refresh(config: TokenEndpointConfig, refreshToken: string): Promise<TokenOutcome> {
    return this.#request(config, async (as, client, auth, options) => {
      const response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, options);
      return oauth.processRefreshTokenResponse(as, client, response);
    });
  }

  /**
   * Checks an authorization response (RFC 6749 §4.1.2, RFC 9207): the state, the issuer when it is
   * known, and a provider `error`. Returns the parameters to exchange, or the failure.
   */
  validateCallback(config: TokenEndpointConfig, parameters: URLSearchParams, state: string): { ok: true; callback: URLSearchParams } | { ok: false; failure: TokenFailure } {
    const checked = new URLSearchParams(parameters);
    // Without a known issuer there is nothing to compare `iss` against (RFC 9207 §2.4).
    if (config.issuer === undefined) checked.delete("iss");
    try {
      return { ok: true, callback: oauth.validateAuthResponse(authorizationServer(config), { client_id: config.client_id }, checked, state) };
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        return { ok: false, failure: { error: error.error, description: error.error_description ?? "", permanent: true } };
      }
      if (error instanceof oauth.OperationProcessingError) {
        return { ok: false, failure: { error: "invalid_response", description: error.message, permanent: true } };
      }
      throw error;
    }
  }

  async #request(
    config: TokenEndpointConfig,
    send: (as: oauth.AuthorizationServer, client: oauth.Client, auth: oauth.ClientAuth, options: oauth.TokenEndpointRequestOptions) => Promise<oauth.TokenEndpointResponse>,
  ): Promise<TokenOutcome> {
    const as = authorizationServer(config);
    const options: oauth.TokenEndpointRequestOptions = {
      additionalParameters: config.token_params,
      [oauth.customFetch]: createTokenEndpointFetch(this.providerFetch, { dropIdToken: config.issuer === undefined }),
      [oauth.allowInsecureRequests]: this.allowInsecureLoopback,
    };
    try {
      const response = await send(as, { client_id: config.client_id }, clientAuth(config), options);
      return { ok: true, grant: toGrant(response) };
    } catch (error) {
      return { ok: false, failure: toFailure(error) };
    }
  }
}

function authorizationServer(config: TokenEndpointConfig): oauth.AuthorizationServer {
  return {
    // An unknown issuer is never compared: `iss` is dropped and ID tokens are not used without one.
    issuer: config.issuer ?? new URL(config.token_url).origin,
    token_endpoint: config.token_url,
    ...(config.authorization_url === undefined ? {} : { authorization_endpoint: config.authorization_url }),
  };
}

function clientAuth(config: TokenEndpointConfig): oauth.ClientAuth {
  if (config.client_secret === undefined) return oauth.None();
  return config.token_auth_method === "client_secret_post" ? oauth.ClientSecretPost(config.client_secret) : oauth.ClientSecretBasic(config.client_secret);
}

function toGrant(response: oauth.TokenEndpointResponse): TokenGrant {
  return {
    access_token: response.access_token,
    refresh_token: response.refresh_token,
    // oauth4webapi lowercases it; workflows put it in an Authorization header, where "Bearer" is the usual spelling.
    token_type: response.token_type.toLowerCase() === "bearer" ? "Bearer" : response.token_type,
    expires_in: response.expires_in ?? 3600,
    scope: response.scope,
  };
}

/** Maps every way a token request can fail to a TokenFailure; never carries bodies or tokens. */
function toFailure(error: unknown): TokenFailure {
  if (error instanceof oauth.ResponseBodyError) {
    return { error: error.error, description: error.error_description ?? "", status: error.status, permanent: PERMANENT_TOKEN_ERRORS.has(error.error) };
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return { error: "invalid_client", description: "The token endpoint answered with an authentication challenge", status: error.status, permanent: true };
  }
  if (error instanceof ProviderRequestError) {
    return { error: error.code, description: error.message, ...(error.status === undefined ? {} : { status: error.status }), permanent: !error.transient };
  }
  if (error instanceof oauth.OperationProcessingError) {
    // Messages name the rule that failed; the offending response stays in `cause`, which is dropped.
    const status = (error.cause as { status?: unknown } | undefined)?.status;
    return { error: "invalid_response", description: error.message, ...(typeof status === "number" ? { status } : {}), permanent: false };
  }
  throw error;
}
