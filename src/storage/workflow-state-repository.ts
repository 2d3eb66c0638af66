import type { TableClient } from "@azure/data-tables";
import { odata } from "@azure/data-tables";
import { withoutUndefined } from "./connection-repository.js";
import { isNotFound } from "./table-errors.js";

export const DISABLE_REASONS = ["oauth_connection_deleted", "manual"] as const;
export type DisableReason = (typeof DISABLE_REASONS)[number];

/** Whether a workflow may run, and if not, why and since when. */
export interface WorkflowStateRecord {
  org_id: string;
  workflow_id: string;
  is_disabled: boolean;
  disabled_reason: DisableReason | undefined;
  /** `org|name` of the connection whose deletion disabled it. */
  related_oauth_connection: string | undefined;
  disabled_at: string | undefined;
  disabled_by: string | undefined;
  enabled_at: string | undefined;
  enabled_by: string | undefined;
}

type WorkflowStateEntity = Omit<WorkflowStateRecord, "org_id" | "workflow_id"> & { partitionKey: string; rowKey: string };

/** WorkflowDisableState: PartitionKey org id (or GLOBAL), RowKey workflow id. */
export class WorkflowStateRepository {
  constructor(private readonly table: TableClient) {}

  async get(orgId: string, workflowId: string): Promise<WorkflowStateRecord | undefined> {
    try {
      return fromEntity(await this.table.getEntity<WorkflowStateEntity>(orgId, workflowId));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(record: WorkflowStateRecord): Promise<void> {
    const { org_id, workflow_id, ...rest } = record;
    await this.table.upsertEntity({ ...withoutUndefined(rest), partitionKey: org_id, rowKey: workflow_id }, "Replace");
  }

  /** Disabled workflows of one org, or of every org when `orgId` is undefined. */
  async listDisabled(orgId: string | undefined): Promise<WorkflowStateRecord[]> {
    const filter = orgId === undefined ? odata`is_disabled eq ${true}` : odata`PartitionKey eq ${orgId} and is_disabled eq ${true}`;
    const records: WorkflowStateRecord[] = [];
    for await (const entity of this.table.listEntities<WorkflowStateEntity>({ queryOptions: { filter } })) records.push(fromEntity(entity));
    return records;
  }
}

function fromEntity(entity: WorkflowStateEntity): WorkflowStateRecord {
  return {
    org_id: entity.partitionKey,
    workflow_id: entity.rowKey,
    is_disabled: entity.is_disabled === true,
    disabled_reason: entity.disabled_reason ?? undefined,
    related_oauth_connection: entity.related_oauth_connection ?? undefined,
    disabled_at: entity.disabled_at ?? undefined,
    disabled_by: entity.disabled_by ?? undefined,
    enabled_at: entity.enabled_at ?? undefined,
    enabled_by: entity.enabled_by ?? undefined,
  };
}
