import { odata, type TableClient } from "@azure/data-tables";
import { isNotFound } from "./table-errors.js";

/** A workflow's use of a connection, kept in two tables (by connection and by workflow). */
export interface DependencyRecord {
  workflow_id: string;
  workflow_name: string | undefined;
  /** The org the workflow acted in. */
  org_id: string;
  /** The connection's partition (its org, or GLOBAL) and name. */
  connection_org_id: string;
  connection_name: string;
  registered_at: string;
  last_accessed_at: string;
}

type DependencyEntity = Omit<DependencyRecord, "workflow_name"> & { partitionKey: string; rowKey: string; workflow_name?: string };

/** The key of a connection in both index tables. */
export const connectionKey = (orgId: string, name: string) => `${orgId}|${name}`;

/**
 * WorkflowOAuthDependencies (PartitionKey `org|name`, RowKey workflow id) and its reverse index
 * WorkflowOAuthDependenciesByWorkflow (PartitionKey workflow id, RowKey `org|name`).
 */
export class DependencyRepository {
  constructor(
    private readonly byConnection: TableClient,
    private readonly byWorkflow: TableClient,
  ) {}

  async get(workflowId: string, connectionOrgId: string, name: string): Promise<DependencyRecord | undefined> {
    try {
      return fromEntity(await this.byWorkflow.getEntity<DependencyEntity>(workflowId, connectionKey(connectionOrgId, name)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every workflow that depends on a connection. */
  async listByConnection(connectionOrgId: string, name: string): Promise<DependencyRecord[]> {
    return collect(this.byConnection, odata`PartitionKey eq ${connectionKey(connectionOrgId, name)}`);
  }

  /** Every connection a workflow depends on. */
  async listByWorkflow(workflowId: string): Promise<DependencyRecord[]> {
    return collect(this.byWorkflow, odata`PartitionKey eq ${workflowId}`);
  }

  /** Removes both rows of a pair; missing rows are fine. */
  async delete(record: Pick<DependencyRecord, "workflow_id" | "connection_org_id" | "connection_name">): Promise<void> {
    const key = connectionKey(record.connection_org_id, record.connection_name);
    await ignoreMissing(this.byWorkflow.deleteEntity(record.workflow_id, key));
    await ignoreMissing(this.byConnection.deleteEntity(key, record.workflow_id));
  }

  /** Writes both rows; upserts, so writing again repairs a pair left half-written. */
  async put(record: DependencyRecord): Promise<void> {
    const key = connectionKey(record.connection_org_id, record.connection_name);
    const { workflow_name, ...rest } = record;
    const fields = workflow_name === undefined ? rest : { ...rest, workflow_name };
    await this.byConnection.upsertEntity({ ...fields, partitionKey: key, rowKey: record.workflow_id }, "Replace");
    await this.byWorkflow.upsertEntity({ ...fields, partitionKey: record.workflow_id, rowKey: key }, "Replace");
  }
}

function fromEntity(entity: DependencyEntity): DependencyRecord {
  return {
    workflow_id: entity.workflow_id,
    workflow_name: entity.workflow_name ?? undefined,
    org_id: entity.org_id,
    connection_org_id: entity.connection_org_id,
    connection_name: entity.connection_name,
    registered_at: entity.registered_at,
    last_accessed_at: entity.last_accessed_at,
  };
}

async function collect(table: TableClient, filter: string): Promise<DependencyRecord[]> {
  const records: DependencyRecord[] = [];
  for await (const entity of table.listEntities<DependencyEntity>({ queryOptions: { filter } })) records.push(fromEntity(entity));
  return records;
}

async function ignoreMissing(deletion: Promise<unknown>): Promise<void> {
  try {
    await deletion;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
