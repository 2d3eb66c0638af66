import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { GLOBAL_ORG } from "../settings.js";
import type { ConfigRepository } from "../storage/config-repository.js";
import type { ConnectionRecord, ConnectionRepository, OAuthFlowType, TokenAuthMethod } from "../storage/connection-repository.js";
import type { SecretStore } from "../storage/secret-store.js";
import type { AuditLog } from "./audit-log.js";
import { fail, ok, type Result } from "./result.js";

/** What an admin supplies to create a connection (validated at the edge). */
export interface NewConnection {
  connection_name: string;
  oauth_flow_type: OAuthFlowType;
  client_id: string;
  client_secret?: string | undefined;
  authorization_url?: string | undefined;
  token_url: string;
  scopes: string[];
  refresh_token?: string | undefined;
  token_auth_method: TokenAuthMethod;
  use_pkce: boolean;
  authorization_params: Record<string, string>;
  token_params: Record<string, string>;
  test_url?: string | undefined;
}

/** Connections: creation, lookup with org → GLOBAL fallback, listing. */
export class ConnectionService {
  constructor(
    private readonly connections: ConnectionRepository,
    private readonly config: ConfigRepository,
    private readonly secrets: SecretStore,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async create(orgId: string, input: NewConnection, actor: string): Promise<Result<ConnectionRecord>> {
    if ((await this.connections.get(orgId, input.connection_name)) !== undefined) return exists(orgId, input.connection_name);

    // Fresh names per connection: Key Vault keeps deleted names reserved, so names are never reused.
    const secretBase = `oauth-${randomUUID()}`;
    const now = this.clock.now().toISOString();
    const record: ConnectionRecord = {
      org_id: orgId,
      connection_name: input.connection_name,
      oauth_flow_type: input.oauth_flow_type,
      client_id: input.client_id,
      authorization_url: input.authorization_url,
      token_url: input.token_url,
      scopes: input.scopes.join(","),
      token_auth_method: input.token_auth_method,
      use_pkce: input.use_pkce,
      authorization_params: input.authorization_params,
      token_params: input.token_params,
      test_url: input.test_url,
      status: "not_connected",
      status_message: undefined,
      token_expires_at: undefined,
      last_refresh_at: undefined,
      last_test_at: undefined,
      created_at: now,
      created_by: actor,
      updated_at: now,
      updated_by: actor,
      client_secret_name: input.client_secret === undefined ? undefined : `${secretBase}-client-secret`,
      tokens_secret_name: `${secretBase}-tokens`,
      refresh_token_set: input.refresh_token !== undefined,
    };

    // Secrets first, so the row never points at a secret that does not exist.
    if (record.client_secret_name !== undefined && input.client_secret !== undefined) {
      await this.secrets.set(record.client_secret_name, input.client_secret);
    }
    if (input.refresh_token !== undefined) {
      await this.secrets.set(record.tokens_secret_name, JSON.stringify({ refresh_token: input.refresh_token }));
    }
    if (!(await this.connections.create(record))) {
      await this.#deleteSecrets(record);
      return exists(orgId, input.connection_name);
    }
    await this.#writeConfigRows(record);
    await this.audit.record({
      org_id: orgId,
      connection_name: record.connection_name,
      event_type: "connection_created",
      actor,
      details: { oauth_flow_type: record.oauth_flow_type, status: record.status },
    });
    return ok(record);
  }

  /** The org's connection of that name, else the GLOBAL one. */
  async get(orgId: string, name: string): Promise<Result<ConnectionRecord>> {
    const own = await this.connections.get(orgId, name);
    if (own !== undefined) return ok(own.record);
    if (orgId !== GLOBAL_ORG) {
      const global = await this.connections.get(GLOBAL_ORG, name);
      if (global !== undefined) return ok(global.record);
    }
    return fail("connection_not_found", `No connection named ${name} in organization ${orgId}${orgId === GLOBAL_ORG ? "" : " or GLOBAL"}`);
  }

  async list(orgId: string, includeGlobal: boolean): Promise<ConnectionRecord[]> {
    const [own, global] = await Promise.all([
      this.connections.listByOrg(orgId),
      includeGlobal && orgId !== GLOBAL_ORG ? this.connections.listByOrg(GLOBAL_ORG) : Promise.resolve([]),
    ]);
    return [...own, ...global];
  }

  /** The seed's Config rows for a connection; a projection of the row, rewritten when the row changes. */
  async #writeConfigRows(record: ConnectionRecord): Promise<void> {
    const base = { org_id: record.org_id, updated_at: record.updated_at, updated_by: record.updated_by };
    const prefix = `oauth_${record.connection_name}`;
    const writes = [
      this.config.put({ ...base, key: `${prefix}_metadata`, type: "json", value: JSON.stringify(connectionMetadata(record)) }),
    ];
    if (record.client_secret_name !== undefined) {
      writes.push(this.config.put({ ...base, key: `${prefix}_client_secret`, type: "secret_ref", value: record.client_secret_name }));
    }
    if (record.refresh_token_set) {
      writes.push(this.config.put({ ...base, key: `${prefix}_tokens`, type: "secret_ref", value: record.tokens_secret_name }));
    }
    await Promise.all(writes);
  }

  async #deleteSecrets(record: ConnectionRecord): Promise<void> {
    const names = [record.client_secret_name, record.tokens_secret_name].filter((name): name is string => name !== undefined);
    await Promise.all(names.map((name) => this.secrets.delete(name)));
  }
}

/** The non-secret projection stored as `oauth_<name>_metadata`. */
export function connectionMetadata(record: ConnectionRecord): Record<string, unknown> {
  const { client_secret_name: _client, tokens_secret_name: _tokens, ...metadata } = record;
  return { ...metadata, client_secret_set: record.client_secret_name !== undefined };
}

const exists = (orgId: string, name: string) =>
  fail("connection_exists", `A connection named ${name} already exists in organization ${orgId}`);
