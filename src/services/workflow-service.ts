import type { Clock } from "../clock.js";
import { GLOBAL_ORG } from "../settings.js";
import type { DependencyRecord, DependencyRepository } from "../storage/dependency-repository.js";
import type { DisableReason, WorkflowStateRecord, WorkflowStateRepository } from "../storage/workflow-state-repository.js";
import type { AuditLog } from "./audit-log.js";
import { fail, ok, type Result } from "./result.js";

/** Workflows as this service sees them: whether they may run, and which connections they use. */
export class WorkflowService {
  constructor(
    private readonly states: WorkflowStateRepository,
    private readonly dependencies: DependencyRepository,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** The workflow's state in an org; a workflow never disabled is enabled. */
  async status(orgId: string, workflowId: string): Promise<WorkflowStateRecord> {
    return (await this.states.get(orgId, workflowId)) ?? enabledState(orgId, workflowId);
  }

  async disable(orgId: string, workflowId: string, reason: DisableReason, actor: string, relatedConnection?: string): Promise<WorkflowStateRecord> {
    const record: WorkflowStateRecord = {
      ...enabledState(orgId, workflowId),
      is_disabled: true,
      disabled_reason: reason,
      related_oauth_connection: relatedConnection,
      disabled_at: this.clock.now().toISOString(),
      disabled_by: actor,
    };
    await this.states.put(record);
    await this.audit.record({ org_id: orgId, connection_name: `workflow:${workflowId}`, event_type: "workflow_disabled", actor, details: { reason, related_oauth_connection: relatedConnection ?? null } });
    return record;
  }

  async enable(orgId: string, workflowId: string, actor: string): Promise<Result<WorkflowStateRecord>> {
    const current = await this.states.get(orgId, workflowId);
    if (current === undefined || !current.is_disabled) return fail("workflow_not_found", `Workflow ${workflowId} is not disabled in organization ${orgId}`);
    const record: WorkflowStateRecord = { ...current, is_disabled: false, enabled_at: this.clock.now().toISOString(), enabled_by: actor };
    await this.states.put(record);
    await this.audit.record({ org_id: orgId, connection_name: `workflow:${workflowId}`, event_type: "workflow_enabled", actor, details: { previous_reason: current.disabled_reason ?? null } });
    return ok(record);
  }

  /** Disabled workflows of an org; for GLOBAL, of every org. */
  listDisabled(orgId: string): Promise<WorkflowStateRecord[]> {
    return this.states.listDisabled(orgId === GLOBAL_ORG ? undefined : orgId);
  }

  /** The connections a workflow uses; an org's view shows only what the workflow did in that org. */
  async dependenciesOf(workflowId: string, orgId: string): Promise<DependencyRecord[]> {
    const all = await this.dependencies.listByWorkflow(workflowId);
    return orgId === GLOBAL_ORG ? all : all.filter((dependency) => dependency.org_id === orgId);
  }
}

function enabledState(orgId: string, workflowId: string): WorkflowStateRecord {
  return {
    org_id: orgId,
    workflow_id: workflowId,
    is_disabled: false,
    disabled_reason: undefined,
    related_oauth_connection: undefined,
    disabled_at: undefined,
    disabled_by: undefined,
    enabled_at: undefined,
    enabled_by: undefined,
  };
}
