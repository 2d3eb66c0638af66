import { odata, type TableClient } from "@azure/data-tables";

/** The summary of one run of the refresh timer. */
export interface RefreshRunRecord {
  trigger: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  checked: number;
  refreshed: number;
  failed: number;
  skipped: number;
}

type RefreshRunEntity = RefreshRunRecord & { partitionKey: string; rowKey: string };

const PARTITION = "RUN";
const MAX_TIME = 9_999_999_999_999;

/** RefreshRuns: PartitionKey `RUN`, RowKey inverted start time, so the first row is the latest run. */
export class RefreshRunRepository {
  constructor(private readonly table: TableClient) {}

  async append(run: RefreshRunRecord): Promise<void> {
    const inverted = String(MAX_TIME - Date.parse(run.started_at)).padStart(13, "0");
    await this.table.upsertEntity({ ...run, partitionKey: PARTITION, rowKey: inverted }, "Replace");
  }

  async latest(): Promise<RefreshRunRecord | undefined> {
    const pages = this.table.listEntities<RefreshRunEntity>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } }).byPage({ maxPageSize: 1 });
    for await (const page of pages) {
      const entity = page[0];
      if (entity === undefined) return undefined;
      return {
        trigger: entity.trigger,
        started_at: entity.started_at,
        finished_at: entity.finished_at,
        duration_ms: entity.duration_ms,
        checked: entity.checked,
        refreshed: entity.refreshed,
        failed: entity.failed,
        skipped: entity.skipped,
      };
    }
    return undefined;
  }
}
