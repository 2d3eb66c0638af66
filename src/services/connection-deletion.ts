import type { ConnectionRecord } from "../storage/connection-repository.js";
import type { DependencyRepository } from "../storage/dependency-repository.js";
import type { SecretStore } from "../storage/secret-store.js";
import type { StateRepository } from "../storage/state-repository.js";
import type { AuditLog } from "./audit-log.js";
import type { ConnectionStore } from "./connection-store.js";
import { fail, ok, type Result } from "./result.js";
import type { WorkflowService } from "./workflow-service.js";

export interface DeletionReport {
  disabled_workflows: string[];
}

/** Deleting a connection, and what that does to the workflows that use it (DESIGN §5, US5). */
export class ConnectionDeletion {
  constructor(
    private readonly deps: {
      store: ConnectionStore;
      states: StateRepository;
      secrets: SecretStore;
      dependencies: DependencyRepository;
      workflows: WorkflowService;
      audit: AuditLog;
    },
  ) {}

  /**
   * Refuses while workflows depend on the connection, unless confirmed; then disables them first
   * (so a crash midway never leaves them running against a deleted connection), and removes the
   * row, its Config rows, its secrets, its pending states and its dependency rows.
   */
  async delete(orgId: string, name: string, actor: string, confirmDisableWorkflows: boolean): Promise<Result<DeletionReport>> {
    const { store, dependencies, workflows } = this.deps;
    const record = await store.get(orgId, name);
    if (record === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    const dependents = await dependencies.listByConnection(orgId, name);
    if (dependents.length > 0 && !confirmDisableWorkflows) {
      return fail(
        "dependent_workflows",
        `${dependents.length} workflow(s) use ${name}. Search workflow code for getOAuthConnection('${name}'); ` +
          "to delete anyway and disable them, repeat with ?confirm_disable_workflows=true",
        {
          dependent_workflows: dependents.map((dependent) => ({
            workflow_id: dependent.workflow_id,
            workflow_name: dependent.workflow_name ?? null,
            org_id: dependent.org_id,
            last_accessed_at: dependent.last_accessed_at,
          })),
        },
      );
    }
    const related = `${orgId}|${name}`;
    for (const dependent of dependents) await workflows.disable(dependent.org_id, dependent.workflow_id, "oauth_connection_deleted", actor, related);
    await this.#remove(record);
    for (const dependent of dependents) await dependencies.delete(dependent);
    const disabled = [...new Set(dependents.map((dependent) => dependent.workflow_id))];
    await this.deps.audit.record({ org_id: orgId, connection_name: name, event_type: "connection_deleted", actor, details: { disabled_workflows: disabled } });
    return ok({ disabled_workflows: disabled });
  }

  async #remove(record: ConnectionRecord): Promise<void> {
    await this.deps.states.deleteForConnection(record.org_id, record.connection_name);
    await this.deps.store.delete(record);
    const secrets = [record.client_secret_name, record.tokens_secret_name].filter((secret): secret is string => secret !== undefined);
    await Promise.all(secrets.map((secret) => this.deps.secrets.delete(secret)));
  }
}
