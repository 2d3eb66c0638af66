import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { GLOBAL_ORG } from "../settings.js";
import type { ConfigRecord, ConfigRepository } from "../storage/config-repository.js";
import type { SecretStore } from "../storage/secret-store.js";
import type { AuditLog } from "./audit-log.js";
import { maskedView, serializeValue, type ConfigInput, type ConfigView } from "./config-values.js";
import type { ConnectionStore } from "./connection-store.js";
import { fail, ok, type Result } from "./result.js";

/** Keys under this prefix are the Config rows OAuth connections write about themselves. */
export const RESERVED_KEY_PREFIX = "oauth_";

const MANAGED_SUFFIXES = ["client_secret", "tokens", "metadata"];

/** The typed config store (DESIGN §2 Config, §5 /config): values in the table, secrets in the SecretStore. */
export class ConfigService {
  constructor(
    private readonly deps: {
      config: ConfigRepository;
      secrets: SecretStore;
      connections: ConnectionStore;
      audit: AuditLog;
      clock: Clock;
    },
  ) {}

  /** The acting org's entries, then GLOBAL's that the org does not override; secrets masked. */
  async list(orgId: string): Promise<ConfigView[]> {
    const own = await this.deps.config.listByOrg(orgId);
    if (orgId === GLOBAL_ORG) return own.map(maskedView);
    const ownKeys = new Set(own.map((record) => record.key));
    const global = (await this.deps.config.listByOrg(GLOBAL_ORG)).filter((record) => !ownKeys.has(record.key));
    return [...own, ...global].map(maskedView);
  }

  /** One entry, the org's first, then GLOBAL's; `resolveSecret` (workflow keys) returns a secret_ref's secret. */
  async get(orgId: string, key: string, resolveSecret: boolean): Promise<Result<ConfigView>> {
    const { config, secrets } = this.deps;
    const record = (await config.get(orgId, key)) ?? (orgId === GLOBAL_ORG ? undefined : await config.get(GLOBAL_ORG, key));
    if (record === undefined) return fail("config_not_found", `No config ${key} in organization ${orgId} or GLOBAL`);
    if (record.type !== "secret_ref" || !resolveSecret) return ok(maskedView(record));
    // Connection secrets reach workflows only as access tokens, through the credentials route.
    if (key.startsWith(RESERVED_KEY_PREFIX) || (await this.#connectionsUsing(record)).length > 0) {
      return fail("secret_not_readable", `Config ${key} holds an OAuth connection's secret; read its access token from /api/oauth/credentials/{name}`);
    }
    const secret = await secrets.get(record.value);
    if (secret === undefined) throw new Error(`Config ${record.org_id}/${key} refers to secret ${record.value}, which the SecretStore does not have`);
    return ok({ ...maskedView(record), value: secret });
  }

  /** Creates or replaces an entry in the org; a secret goes to the SecretStore under a fresh name. */
  async set(orgId: string, key: string, input: ConfigInput, actor: string): Promise<Result<{ entry: ConfigView; created: boolean }>> {
    const { config, secrets, audit, clock } = this.deps;
    if (key.startsWith(RESERVED_KEY_PREFIX)) {
      return fail("config_key_reserved", `Keys starting with ${RESERVED_KEY_PREFIX} are written by OAuth connections; change the connection with PUT /api/oauth/connections/{name}`);
    }
    const previous = await config.get(orgId, key);
    const value = input.type === "secret_ref" ? await this.#storeSecret(input.value) : serializeValue(input);
    const record: ConfigRecord = { org_id: orgId, key, type: input.type, value, updated_at: clock.now().toISOString(), updated_by: actor };
    try {
      await config.put(record);
    } catch (error) {
      if (input.type === "secret_ref") await secrets.delete(value).catch(() => undefined);
      throw error;
    }
    // Only now that the row points elsewhere: a reader never meets a name whose secret is gone.
    if (previous?.type === "secret_ref") await secrets.delete(previous.value);
    await audit.record({ org_id: orgId, connection_name: `config:${key}`, event_type: "config_set", actor, details: { key, type: input.type } });
    return ok({ entry: maskedView(record), created: previous === undefined });
  }

  /** Deletes the org's entry (never GLOBAL's by fallback) and its secret; refused while a connection uses it (FR-018). */
  async delete(orgId: string, key: string, actor: string): Promise<Result<ConfigView>> {
    const { config, secrets, audit } = this.deps;
    const record = await config.get(orgId, key);
    if (record === undefined) return fail("config_not_found", `No config ${key} in organization ${orgId}`);
    const users = await this.#connectionsUsing(record);
    if (users.length > 0) {
      return fail("secret_in_use", `Config ${key} is the secret of OAuth connection(s) ${users.join(", ")}; delete or change those connections first`, {
        connections: users,
      });
    }
    const owner = key.startsWith(RESERVED_KEY_PREFIX) ? await this.#managingConnection(orgId, key) : undefined;
    if (owner !== undefined) {
      return fail("config_key_reserved", `Config ${key} mirrors OAuth connection ${owner}; it goes when the connection is deleted`);
    }
    await config.delete(orgId, key);
    if (record.type === "secret_ref") await secrets.delete(record.value);
    await audit.record({ org_id: orgId, connection_name: `config:${key}`, event_type: "config_deleted", actor, details: { key, type: record.type } });
    return ok(maskedView(record));
  }

  async #storeSecret(secret: string): Promise<string> {
    // Fresh per write: Key Vault keeps deleted names reserved, and the old secret is deleted after the switch.
    const name = `config-${randomUUID()}`;
    await this.deps.secrets.set(name, secret);
    return name;
  }

  /** Names of the connections in the row's org whose client secret or token set is the row's secret. */
  async #connectionsUsing(record: ConfigRecord): Promise<string[]> {
    if (record.type !== "secret_ref") return [];
    const connections = await this.deps.connections.listByOrg(record.org_id);
    return connections
      .filter((connection) => connection.client_secret_name === record.value || connection.tokens_secret_name === record.value)
      .map((connection) => connection.connection_name);
  }

  async #managingConnection(orgId: string, key: string): Promise<string | undefined> {
    const connections = await this.deps.connections.listByOrg(orgId);
    const managed = (name: string) => MANAGED_SUFFIXES.some((suffix) => key === `${RESERVED_KEY_PREFIX}${name}_${suffix}`);
    return connections.find((connection) => managed(connection.connection_name))?.connection_name;
  }
}
