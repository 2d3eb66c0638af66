import type { ConfigRepository } from "../storage/config-repository.js";
import type { ConnectionRecord, ConnectionRepository } from "../storage/connection-repository.js";

const UPDATE_ATTEMPTS = 5;

/**
 * The OAuthConnections row plus the seed's Config rows that mirror it. Every change goes through
 * here, so the projection is rewritten whenever the row changes.
 */
export class ConnectionStore {
  constructor(
    private readonly connections: ConnectionRepository,
    private readonly config: ConfigRepository,
  ) {}

  async get(orgId: string, name: string): Promise<ConnectionRecord | undefined> {
    return (await this.connections.get(orgId, name))?.record;
  }

  listByOrg(orgId: string): Promise<ConnectionRecord[]> {
    return this.connections.listByOrg(orgId);
  }

  /** Inserts the row; false when the name is taken in that org. */
  async create(record: ConnectionRecord): Promise<boolean> {
    if (!(await this.connections.create(record))) return false;
    await this.#writeProjection(record);
    return true;
  }

  /**
   * Applies `change` to the current row with optimistic concurrency, re-reading and re-applying
   * when another writer got there first. `change` returns undefined to leave the row as it is.
   */
  async update(orgId: string, name: string, change: (current: ConnectionRecord) => ConnectionRecord | undefined): Promise<ConnectionRecord | undefined> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.connections.get(orgId, name);
      if (stored === undefined) return undefined;
      const next = change(stored.record);
      if (next === undefined) return stored.record;
      if ((await this.connections.replaceIfUnchanged(next, stored.etag)) !== undefined) {
        // Lease and cache bookkeeping change the row often; the projection only when it shows something new.
        if (JSON.stringify(connectionMetadata(stored.record)) !== JSON.stringify(connectionMetadata(next))) await this.#writeProjection(next);
        return next;
      }
    }
    throw new Error(`Connection ${orgId}/${name} kept changing; gave up after ${UPDATE_ATTEMPTS} attempts`);
  }

  /** Removes the row, then the Config rows that mirror it. */
  async delete(record: ConnectionRecord): Promise<void> {
    await this.connections.delete(record.org_id, record.connection_name);
    const prefix = `oauth_${record.connection_name}`;
    await Promise.all(["metadata", "client_secret", "tokens"].map((suffix) => this.config.delete(record.org_id, `${prefix}_${suffix}`)));
  }

  async #writeProjection(record: ConnectionRecord): Promise<void> {
    const base = { org_id: record.org_id, updated_at: record.updated_at, updated_by: record.updated_by };
    const prefix = `oauth_${record.connection_name}`;
    const writes = [this.config.put({ ...base, key: `${prefix}_metadata`, type: "json", value: JSON.stringify(connectionMetadata(record)) })];
    if (record.client_secret_name !== undefined) {
      writes.push(this.config.put({ ...base, key: `${prefix}_client_secret`, type: "secret_ref", value: record.client_secret_name }));
    }
    if (record.refresh_token_set || record.token_expires_at !== undefined) {
      writes.push(this.config.put({ ...base, key: `${prefix}_tokens`, type: "secret_ref", value: record.tokens_secret_name }));
    }
    await Promise.all(writes);
  }
}

/** The non-secret projection stored as `oauth_<name>_metadata`. */
export function connectionMetadata(record: ConnectionRecord): Record<string, unknown> {
  const {
    client_secret_name: _client,
    tokens_secret_name: _tokens,
    tokens_version: _version,
    previous_status: _status,
    previous_status_message: _message,
    lease_owner: _owner,
    lease_expires_at: _lease,
    next_refresh_attempt_at: _next,
    ...metadata
  } = record;
  return { ...metadata, client_secret_set: record.client_secret_name !== undefined };
}
