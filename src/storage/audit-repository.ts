import { randomUUID } from "node:crypto";
import type { TableClient } from "@azure/data-tables";
import { odata } from "@azure/data-tables";

/** One audit event; `details` holds names, ids, counts and outcomes, never secret values. */
export interface AuditEvent {
  org_id: string;
  connection_name: string;
  event_type: string;
  actor: string;
  occurred_at: string;
  details: Record<string, unknown>;
}

interface AuditEntity {
  partitionKey: string;
  rowKey: string;
  event_type: string;
  actor: string;
  occurred_at: string;
  details: string;
}

const MAX_TIME = 9_999_999_999_999;
const SEQUENCE_SPAN = 1_000_000;
let sequence = 0;

/** OAuthAuditEvents: PartitionKey `org|name`, RowKey inverted time + uuid so a scan reads newest first. */
export class AuditRepository {
  constructor(private readonly table: TableClient) {}

  async append(event: AuditEvent): Promise<void> {
    const inverted = String(MAX_TIME - new Date(event.occurred_at).getTime()).padStart(13, "0");
    // Events within one millisecond still list newest first (in this process); the UUID keeps keys unique.
    sequence = (sequence + 1) % SEQUENCE_SPAN;
    const tiebreak = String(SEQUENCE_SPAN - 1 - sequence).padStart(6, "0");
    const entity: AuditEntity = {
      partitionKey: auditPartition(event.org_id, event.connection_name),
      rowKey: `${inverted}-${tiebreak}-${randomUUID()}`,
      event_type: event.event_type,
      actor: event.actor,
      occurred_at: event.occurred_at,
      details: JSON.stringify(event.details),
    };
    await this.table.createEntity(entity);
  }

  /** One page of a connection's events, newest first; pass the returned cursor to get the next. */
  async listForConnection(orgId: string, name: string, limit: number, cursor?: string): Promise<{ events: AuditEvent[]; nextCursor: string | undefined }> {
    const pages = this.table
      .listEntities<AuditEntity>({ queryOptions: { filter: odata`PartitionKey eq ${auditPartition(orgId, name)}` } })
      .byPage({ maxPageSize: limit, ...(cursor === undefined ? {} : { continuationToken: cursor }) });
    const { value: page } = await pages.next();
    if (page === undefined) return { events: [], nextCursor: undefined };
    const events = page.map((entity: AuditEntity) => ({
      org_id: orgId,
      connection_name: name,
      event_type: entity.event_type,
      actor: entity.actor,
      occurred_at: entity.occurred_at,
      details: JSON.parse(entity.details) as Record<string, unknown>,
    }));
    return { events, nextCursor: page.continuationToken };
  }
}

export const auditPartition = (orgId: string, name: string) => `${orgId}|${name}`;
