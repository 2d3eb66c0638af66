import type { Clock } from "../clock.js";
import type { ConnectionRecord } from "../storage/connection-repository.js";
import type { DependencyRecord, DependencyRepository } from "../storage/dependency-repository.js";

const ACCESS_RESOLUTION_MS = 60 * 60 * 1000;
const CACHE_LIMIT = 50_000;

export interface WorkflowRef {
  workflow_id: string;
  workflow_name: string | undefined;
  /** The org the workflow acts in. */
  org_id: string;
}

/**
 * Which workflows use which connections. Reads record their use at most once an hour per pair, and
 * remember that in memory, so repeated reads neither write nor read storage.
 */
export class WorkflowDependencyService {
  readonly #lastRecorded = new Map<string, number>();

  constructor(
    private readonly repository: DependencyRepository,
    private readonly clock: Clock,
  ) {}

  /** Registers (or refreshes) a dependency now; idempotent. */
  async register(workflow: WorkflowRef, connection: ConnectionRecord): Promise<DependencyRecord> {
    const now = this.clock.now();
    const existing = await this.repository.get(workflow.workflow_id, connection.org_id, connection.connection_name);
    const record: DependencyRecord = {
      workflow_id: workflow.workflow_id,
      workflow_name: workflow.workflow_name ?? existing?.workflow_name,
      org_id: workflow.org_id,
      connection_org_id: connection.org_id,
      connection_name: connection.connection_name,
      registered_at: existing?.registered_at ?? now.toISOString(),
      last_accessed_at: now.toISOString(),
    };
    await this.repository.put(record);
    this.#remember(cacheKey(workflow, connection), now.getTime());
    return record;
  }

  /** Records that a workflow read a connection's credentials, unless that was recorded within the hour. */
  async recordAccess(workflow: WorkflowRef, connection: ConnectionRecord): Promise<void> {
    const key = cacheKey(workflow, connection);
    const now = this.clock.now().getTime();
    const last = this.#lastRecorded.get(key);
    if (last !== undefined && now - last < ACCESS_RESOLUTION_MS) return;
    const existing = await this.repository.get(workflow.workflow_id, connection.org_id, connection.connection_name);
    if (existing !== undefined && now - Date.parse(existing.last_accessed_at) < ACCESS_RESOLUTION_MS && (workflow.workflow_name ?? existing.workflow_name) === existing.workflow_name) {
      this.#remember(key, Date.parse(existing.last_accessed_at));
      return;
    }
    await this.register(workflow, connection);
  }

  #remember(key: string, at: number): void {
    if (this.#lastRecorded.size >= CACHE_LIMIT) this.#lastRecorded.delete(this.#lastRecorded.keys().next().value!);
    this.#lastRecorded.set(key, at);
  }
}

const cacheKey = (workflow: WorkflowRef, connection: ConnectionRecord) =>
  `${workflow.workflow_id}|${workflow.org_id}|${connection.org_id}|${connection.connection_name}`;
