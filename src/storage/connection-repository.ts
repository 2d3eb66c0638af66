import type { TableClient } from "@azure/data-tables";
import { odata } from "@azure/data-tables";
import { isTableError, isNotFound } from "./table-errors.js";

export const OAUTH_FLOW_TYPES = ["authorization_code", "client_credentials", "refresh_token"] as const;
export type OAuthFlowType = (typeof OAUTH_FLOW_TYPES)[number];

export const CONNECTION_STATUSES = ["not_connected", "waiting_callback", "testing", "completed", "failed"] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export const TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"] as const;
export type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number];

/** One OAuth connection as stored: the source of truth for its configuration and status. */
export interface ConnectionRecord {
  org_id: string;
  connection_name: string;
  oauth_flow_type: OAuthFlowType;
  client_id: string;
  authorization_url: string | undefined;
  token_url: string;
  /** Comma-separated, as the seed stores them. */
  scopes: string;
  token_auth_method: TokenAuthMethod;
  use_pkce: boolean;
  authorization_params: Record<string, string>;
  token_params: Record<string, string>;
  test_url: string | undefined;
  /** The provider's issuer identifier, when known: enables the RFC 9207 `iss` check and ID token validation. */
  issuer: string | undefined;
  status: ConnectionStatus;
  status_message: string | undefined;
  token_expires_at: string | undefined;
  last_refresh_at: string | undefined;
  last_test_at: string | undefined;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  /** SecretStore names; opaque and fresh per connection because Key Vault reserves deleted names. */
  client_secret_name: string | undefined;
  tokens_secret_name: string;
  refresh_token_set: boolean;
  /** Changes whenever the stored token set changes; lets readers cache the decrypted set and spot a refresh by someone else. */
  tokens_version: string | undefined;
  /** The refresh lease (DESIGN §6): who is refreshing and until when the claim holds. */
  lease_owner: string | undefined;
  lease_expires_at: string | undefined;
  /** Consecutive failed refreshes, and the earliest time the next one may be tried (backoff). */
  refresh_failures: number | undefined;
  next_refresh_attempt_at: string | undefined;
  /** What the status was before a pending authorization, so cancelling can put it back. */
  previous_status: ConnectionStatus | undefined;
  previous_status_message: string | undefined;
}

export interface StoredConnection {
  record: ConnectionRecord;
  etag: string;
}

const JSON_FIELDS = ["authorization_params", "token_params"] as const;

type ConnectionEntity = Omit<ConnectionRecord, "org_id" | "connection_name" | (typeof JSON_FIELDS)[number]> & {
  partitionKey: string;
  rowKey: string;
  authorization_params: string;
  token_params: string;
};

/** OAuthConnections: PartitionKey org id (or GLOBAL), RowKey connection name. */
export class ConnectionRepository {
  constructor(private readonly table: TableClient) {}

  async get(orgId: string, name: string): Promise<StoredConnection | undefined> {
    try {
      const entity = await this.table.getEntity<ConnectionEntity>(orgId, name);
      return { record: fromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Inserts a new connection; returns false when one with that name exists in the org. */
  async create(record: ConnectionRecord): Promise<boolean> {
    try {
      await this.table.createEntity(toEntity(record));
      return true;
    } catch (error) {
      if (isTableError(error, 409)) return false;
      throw error;
    }
  }

  /** Completed connections across all orgs whose token expires before `before` (the timer's candidates). */
  async listCompletedExpiringBefore(before: string): Promise<ConnectionRecord[]> {
    const records: ConnectionRecord[] = [];
    const filter = odata`status eq ${"completed"} and token_expires_at lt ${before}`;
    for await (const entity of this.table.listEntities<ConnectionEntity>({ queryOptions: { filter } })) records.push(fromEntity(entity));
    return records;
  }

  async listByOrg(orgId: string): Promise<ConnectionRecord[]> {
    const records: ConnectionRecord[] = [];
    const entities = this.table.listEntities<ConnectionEntity>({ queryOptions: { filter: odata`PartitionKey eq ${orgId}` } });
    for await (const entity of entities) records.push(fromEntity(entity));
    return records;
  }

  /** Replaces the row only if nobody changed it since `etag` was read; false when someone did. */
  async replaceIfUnchanged(record: ConnectionRecord, etag: string): Promise<string | undefined> {
    try {
      const response = await this.table.updateEntity(toEntity(record), "Replace", { etag });
      return response.etag;
    } catch (error) {
      if (isTableError(error, 412) || isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(orgId: string, name: string): Promise<void> {
    try {
      await this.table.deleteEntity(orgId, name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

function toEntity(record: ConnectionRecord): ConnectionEntity {
  const { org_id, connection_name, authorization_params, token_params, ...rest } = record;
  return {
    ...withoutUndefined(rest),
    partitionKey: org_id,
    rowKey: connection_name,
    authorization_params: JSON.stringify(authorization_params),
    token_params: JSON.stringify(token_params),
  } as ConnectionEntity;
}

const OPTIONAL_FIELDS = [
  "authorization_url",
  "test_url",
  "issuer",
  "status_message",
  "token_expires_at",
  "last_refresh_at",
  "last_test_at",
  "client_secret_name",
  "previous_status",
  "previous_status_message",
  "tokens_version",
  "lease_owner",
  "lease_expires_at",
  "refresh_failures",
  "next_refresh_attempt_at",
] as const;

function fromEntity(entity: ConnectionEntity & { etag?: string; timestamp?: string }): ConnectionRecord {
  const { partitionKey, rowKey, authorization_params, token_params, etag: _etag, timestamp: _timestamp, ...rest } = entity;
  // Absent properties come back missing; spell them out so every record has the same shape.
  const optional = Object.fromEntries(OPTIONAL_FIELDS.map((field) => [field, rest[field] ?? undefined]));
  return {
    ...rest,
    ...optional,
    org_id: partitionKey,
    connection_name: rowKey,
    authorization_params: JSON.parse(authorization_params) as Record<string, string>,
    token_params: JSON.parse(token_params) as Record<string, string>,
  } as ConnectionRecord;
}

/** Table Storage cannot store undefined; leaving the property out is how "unset" is written. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
