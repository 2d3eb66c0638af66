import type { TableClient } from "@azure/data-tables";
import { odata } from "@azure/data-tables";
import { isNotFound } from "./table-errors.js";

export const CONFIG_TYPES = ["string", "int", "bool", "json", "secret_ref"] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

/** One typed config value; for `secret_ref` the value is a SecretStore name, never the secret. */
export interface ConfigRecord {
  org_id: string;
  key: string;
  type: ConfigType;
  value: string;
  updated_at: string;
  updated_by: string;
}

interface ConfigEntity {
  partitionKey: string;
  rowKey: string;
  type: ConfigType;
  value: string;
  updated_at: string;
  updated_by: string;
}

const ROW_PREFIX = "config:";

/** Config: PartitionKey org id (or GLOBAL), RowKey `config:<key>`. */
export class ConfigRepository {
  constructor(private readonly table: TableClient) {}

  async get(orgId: string, key: string): Promise<ConfigRecord | undefined> {
    try {
      return fromEntity(await this.table.getEntity<ConfigEntity>(orgId, ROW_PREFIX + key));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(record: ConfigRecord): Promise<void> {
    const entity: ConfigEntity = {
      partitionKey: record.org_id,
      rowKey: ROW_PREFIX + record.key,
      type: record.type,
      value: record.value,
      updated_at: record.updated_at,
      updated_by: record.updated_by,
    };
    await this.table.upsertEntity(entity, "Replace");
  }

  async listByOrg(orgId: string): Promise<ConfigRecord[]> {
    const records: ConfigRecord[] = [];
    // "config;" is the character after "config:", so this selects exactly the config rows.
    const filter = odata`PartitionKey eq ${orgId} and RowKey ge ${ROW_PREFIX} and RowKey lt ${"config;"}`;
    for await (const entity of this.table.listEntities<ConfigEntity>({ queryOptions: { filter } })) records.push(fromEntity(entity));
    return records;
  }

  async delete(orgId: string, key: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(orgId, ROW_PREFIX + key);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

function fromEntity(entity: ConfigEntity): ConfigRecord {
  return {
    org_id: entity.partitionKey,
    key: entity.rowKey.slice(ROW_PREFIX.length),
    type: entity.type,
    value: entity.value,
    updated_at: entity.updated_at,
    updated_by: entity.updated_by,
  };
}
