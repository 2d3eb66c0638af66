import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { TokenClient, TokenEndpointConfig, TokenGrant, TokenOutcome } from "../oauth/token-client.js";
import type { ConnectionRecord } from "../storage/connection-repository.js";
import type { SecretStore } from "../storage/secret-store.js";
import type { ConnectionStore } from "./connection-store.js";

/** The token set kept in the SecretStore behind `oauth_<name>_tokens`. */
export interface StoredTokenSet {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_at?: string;
  scopes?: string[];
}

const CACHE_LIMIT = 10_000;

/** Token storage and the token requests that fill it. */
export class TokenService {
  /** Decrypted token sets by secret name and version: the hot credentials path skips the secret store. */
  readonly #cache = new Map<string, StoredTokenSet>();

  constructor(
    private readonly store: ConnectionStore,
    private readonly secrets: SecretStore,
    private readonly client: TokenClient,
    private readonly clock: Clock,
  ) {}

  /** The provider and client settings of a connection, with its client secret. */
  async endpointConfig(record: ConnectionRecord): Promise<TokenEndpointConfig> {
    const clientSecret = record.client_secret_name === undefined ? undefined : await this.secrets.get(record.client_secret_name);
    if (record.client_secret_name !== undefined && clientSecret === undefined) {
      throw new Error(`The client secret of ${record.org_id}/${record.connection_name} is missing from the secret store`);
    }
    return {
      token_url: record.token_url,
      authorization_url: record.authorization_url,
      issuer: record.issuer,
      client_id: record.client_id,
      client_secret: clientSecret,
      token_auth_method: record.token_auth_method,
      token_params: record.token_params,
    };
  }

  /** The token set the row's `tokens_version` names; cached, since a version's content never changes. */
  async readTokens(record: ConnectionRecord): Promise<StoredTokenSet | undefined> {
    const cacheKey = record.tokens_version === undefined ? undefined : `${record.tokens_secret_name}@${record.tokens_version}`;
    const cached = cacheKey === undefined ? undefined : this.#cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const raw = await this.secrets.get(record.tokens_secret_name);
    if (raw === undefined) return undefined;
    let tokens: StoredTokenSet;
    try {
      tokens = JSON.parse(raw) as StoredTokenSet;
    } catch {
      // JSON.parse quotes its input in the message, and this input is a secret.
      throw new Error(`The stored token set of ${record.org_id}/${record.connection_name} is not valid JSON`);
    }
    if (cacheKey !== undefined) this.#remember(cacheKey, tokens);
    return tokens;
  }

  #remember(key: string, tokens: StoredTokenSet): void {
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, tokens);
  }

  /**
   * Stores a provider's grant: the secret first (a rotated refresh token must never be lost), then
   * the row. A grant without a refresh token keeps the one we had (RFC 6749 §6).
   */
  async storeGrant(
    record: ConnectionRecord,
    grant: TokenGrant,
    change: (current: ConnectionRecord) => Partial<ConnectionRecord>,
  ): Promise<{ record: ConnectionRecord | undefined; tokens: StoredTokenSet }> {
    const previous = await this.readTokens(record);
    const now = this.clock.now();
    const tokens: StoredTokenSet = {
      access_token: grant.access_token,
      refresh_token: grant.refresh_token ?? previous?.refresh_token,
      token_type: grant.token_type,
      expires_at: new Date(now.getTime() + grant.expires_in * 1000).toISOString(),
      scopes: grant.scope === undefined ? splitScopes(record.scopes) : grant.scope.split(" ").filter((scope) => scope !== ""),
    };
    await this.secrets.set(record.tokens_secret_name, JSON.stringify(tokens));
    const version = randomUUID();
    this.#remember(`${record.tokens_secret_name}@${version}`, tokens);
    const updated = await this.store.update(record.org_id, record.connection_name, (current) => ({
      ...current,
      tokens_version: version,
      token_expires_at: tokens.expires_at,
      refresh_token_set: tokens.refresh_token !== undefined,
      last_refresh_at: now.toISOString(),
      updated_at: now.toISOString(),
      ...change(current),
    }));
    // Deleted while the provider answered: the secret written above must not outlive its connection.
    if (updated === undefined) await this.secrets.delete(record.tokens_secret_name);
    return { record: updated, tokens };
  }

  /**
   * Asks the provider for a new grant: client credentials again, or the stored refresh token
   * (RFC 6749 §4.4, §6). Used for first tokens and for every refresh.
   */
  async requestGrant(record: ConnectionRecord): Promise<TokenOutcome> {
    const config = await this.endpointConfig(record);
    if (record.oauth_flow_type === "client_credentials") return this.client.clientCredentials(config, splitScopes(record.scopes));
    const refreshToken = (await this.readTokens(record))?.refresh_token;
    if (refreshToken === undefined) {
      return { ok: false, failure: { error: "invalid_grant", description: "No refresh token is stored for this connection", permanent: true } };
    }
    return this.client.refresh(config, refreshToken);
  }
}

export const splitScopes = (scopes: string) => scopes.split(",").filter((scope) => scope !== "");
