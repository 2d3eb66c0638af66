import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { GLOBAL_ORG } from "../settings.js";
import type { ConnectionRecord, OAuthFlowType, TokenAuthMethod } from "../storage/connection-repository.js";
import type { SecretStore } from "../storage/secret-store.js";
import type { AuditLog } from "./audit-log.js";
import type { AuthorizationService } from "./authorization-service.js";
import type { ConnectionStore } from "./connection-store.js";
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
  issuer?: string | undefined;
}

/** Connections: creation, lookup with org → GLOBAL fallback, listing. */
export class ConnectionService {
  constructor(
    private readonly store: ConnectionStore,
    private readonly secrets: SecretStore,
    private readonly authorization: AuthorizationService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async create(orgId: string, input: NewConnection, actor: string): Promise<Result<ConnectionRecord>> {
    if ((await this.store.get(orgId, input.connection_name)) !== undefined) return exists(orgId, input.connection_name);

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
      issuer: input.issuer,
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
      previous_status: undefined,
      previous_status_message: undefined,
      tokens_version: input.refresh_token === undefined ? undefined : randomUUID(),
      lease_owner: undefined,
      lease_expires_at: undefined,
      refresh_failures: undefined,
      next_refresh_attempt_at: undefined,
    };

    // Secrets first, so the row never points at a secret that does not exist.
    if (record.client_secret_name !== undefined && input.client_secret !== undefined) {
      await this.secrets.set(record.client_secret_name, input.client_secret);
    }
    if (input.refresh_token !== undefined) {
      await this.secrets.set(record.tokens_secret_name, JSON.stringify({ refresh_token: input.refresh_token }));
    }
    if (!(await this.store.create(record))) {
      await this.#deleteSecrets(record);
      return exists(orgId, input.connection_name);
    }
    await this.audit.record({
      org_id: orgId,
      connection_name: record.connection_name,
      event_type: "connection_created",
      actor,
      details: { oauth_flow_type: record.oauth_flow_type, status: record.status },
    });
    // Only the authorization-code flow needs a browser; the others can be connected right away.
    if (record.oauth_flow_type !== "authorization_code") return ok(await this.authorization.connectWithoutBrowser(record, actor));
    return ok(record);
  }

  /** The org's connection of that name, else the GLOBAL one. */
  async get(orgId: string, name: string): Promise<Result<ConnectionRecord>> {
    const own = await this.store.get(orgId, name);
    if (own !== undefined) return ok(own);
    if (orgId !== GLOBAL_ORG) {
      const global = await this.store.get(GLOBAL_ORG, name);
      if (global !== undefined) return ok(global);
    }
    return fail("connection_not_found", `No connection named ${name} in organization ${orgId}${orgId === GLOBAL_ORG ? "" : " or GLOBAL"}`);
  }

  async list(orgId: string, includeGlobal: boolean): Promise<ConnectionRecord[]> {
    const [own, global] = await Promise.all([
      this.store.listByOrg(orgId),
      includeGlobal && orgId !== GLOBAL_ORG ? this.store.listByOrg(GLOBAL_ORG) : Promise.resolve([]),
    ]);
    return [...own, ...global];
  }

  async #deleteSecrets(record: ConnectionRecord): Promise<void> {
    const names = [record.client_secret_name, record.tokens_secret_name].filter((name): name is string => name !== undefined);
    await Promise.all(names.map((name) => this.secrets.delete(name)));
  }
}

const exists = (orgId: string, name: string) =>
  fail("connection_exists", `A connection named ${name} already exists in organization ${orgId}`);
