import type { TableClient } from "@azure/data-tables";
import { odata } from "@azure/data-tables";
import { withoutUndefined } from "./connection-repository.js";
import { isNotFound } from "./table-errors.js";

export const API_KEY_ROLES = ["admin", "workflow"] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** An API key as stored: only the SHA-256 of the key, never the key. */
export interface ApiKeyRecord {
  /** Hex SHA-256 of the key; the row key, so authentication is one point read. */
  key_hash: string;
  /** Public identifier used to list and revoke; not derived from the key. */
  id: string;
  name: string;
  role: ApiKeyRole;
  org_id: string;
  created_at: string;
  created_by: string;
  last_used_at: string | undefined;
  revoked: boolean;
  revoked_at: string | undefined;
}

type ApiKeyEntity = Omit<ApiKeyRecord, "key_hash"> & { partitionKey: string; rowKey: string };

const PARTITION = "KEY";

/** ApiKeys: PartitionKey `KEY`, RowKey sha256(key). */
export class ApiKeyRepository {
  constructor(private readonly table: TableClient) {}

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    try {
      return fromEntity(await this.table.getEntity<ApiKeyEntity>(PARTITION, keyHash));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const entities = this.table.listEntities<ApiKeyEntity>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION} and id eq ${id}` } });
    for await (const entity of entities) return fromEntity(entity);
    return undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    for await (const entity of this.table.listEntities<ApiKeyEntity>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } })) {
      records.push(fromEntity(entity));
    }
    return records;
  }

  async create(record: ApiKeyRecord): Promise<void> {
    await this.table.createEntity(toEntity(record));
  }

  /** Merges the given fields into an existing key row. */
  async update(keyHash: string, fields: Partial<Pick<ApiKeyRecord, "last_used_at" | "revoked" | "revoked_at">>): Promise<void> {
    await this.table.updateEntity({ partitionKey: PARTITION, rowKey: keyHash, ...withoutUndefined(fields) }, "Merge");
  }
}

function toEntity(record: ApiKeyRecord): ApiKeyEntity {
  const { key_hash, ...rest } = record;
  return { ...withoutUndefined(rest), partitionKey: PARTITION, rowKey: key_hash } as ApiKeyEntity;
}

function fromEntity(entity: ApiKeyEntity): ApiKeyRecord {
  return {
    key_hash: entity.rowKey,
    id: entity.id,
    name: entity.name,
    role: entity.role,
    org_id: entity.org_id,
    created_at: entity.created_at,
    created_by: entity.created_by,
    last_used_at: entity.last_used_at ?? undefined,
    revoked: entity.revoked === true,
    revoked_at: entity.revoked_at ?? undefined,
  };
}
