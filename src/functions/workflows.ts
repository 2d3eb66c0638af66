import type { WorkflowStateRecord } from "../storage/workflow-state-repository.js";
import { errorBody, errorResponses } from "./schemas/common.js";
import { workflowIdParams } from "./schemas/credential-schemas.js";
import { disabledWorkflows, enabledWorkflow, workflowDependencies, workflowStatus } from "./schemas/workflow-schemas.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

export const listDependenciesRoute = defineRoute({
  name: "listWorkflowDependencies",
  methods: ["GET"],
  route: "oauth/workflows/{workflow_id}/dependencies",
  auth: { roles: ["workflow", "admin"] },
  org: "read",
  summary: "The connections a workflow uses (in the acting org; all orgs for GLOBAL)",
  tags: ["workflows"],
  params: workflowIdParams,
  responses: { 200: { description: "Dependencies", schema: workflowDependencies }, ...errorResponses },
  handler: async ({ services, orgId, params }) => {
    const dependencies = await services.workflows.dependenciesOf(params.workflow_id, orgId);
    const connections = dependencies.map((dependency) => ({
      connection_name: dependency.connection_name,
      org_id: dependency.connection_org_id,
      workflow_name: dependency.workflow_name ?? null,
      registered_at: dependency.registered_at,
      last_accessed_at: dependency.last_accessed_at,
    }));
    return jsonResponse(200, { workflow_id: params.workflow_id, connections });
  },
});

export const workflowStatusRoute = defineRoute({
  name: "workflowStatus",
  methods: ["GET"],
  route: "oauth/workflows/{workflow_id}/status",
  auth: { roles: ["workflow", "admin"] },
  org: "read",
  summary: "Whether a workflow is disabled, why, and by whom",
  tags: ["workflows"],
  params: workflowIdParams,
  responses: { 200: { description: "Status", schema: workflowStatus }, ...errorResponses },
  handler: async ({ services, orgId, params }) => jsonResponse(200, toStatus(await services.workflows.status(orgId, params.workflow_id))),
});

export const disabledWorkflowsRoute = defineRoute({
  name: "disabledWorkflows",
  methods: ["GET"],
  route: "oauth/workflows/disabled",
  auth: { roles: ["admin"] },
  org: "read",
  summary: "Disabled workflows of the acting org (of every org for GLOBAL)",
  tags: ["workflows"],
  responses: { 200: { description: "Disabled workflows", schema: disabledWorkflows }, ...errorResponses },
  handler: async ({ services, orgId }) => jsonResponse(200, { workflows: (await services.workflows.listDisabled(orgId)).map(toStatus) }),
});

export const enableWorkflowRoute = defineRoute({
  name: "enableWorkflow",
  methods: ["POST"],
  route: "oauth/workflows/{workflow_id}/enable",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Enable a disabled workflow",
  tags: ["workflows"],
  params: workflowIdParams,
  responses: { 200: { description: "Enabled", schema: enabledWorkflow }, ...errorResponses, 404: { description: "Not disabled in this org", schema: errorBody } },
  handler: async ({ services, caller, orgId, params }) => {
    const enabled = await services.workflows.enable(orgId, params.workflow_id, caller!.name);
    if (!enabled.ok) return failureResponse(enabled.error);
    return jsonResponse(200, { message: `Workflow ${params.workflow_id} enabled`, workflow_id: params.workflow_id, enabled_at: enabled.value.enabled_at });
  },
});

export const disableWorkflowRoute = defineRoute({
  name: "disableWorkflow",
  methods: ["POST"],
  route: "oauth/workflows/{workflow_id}/disable",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Disable a workflow by hand (reason `manual`); its credential reads are refused until enabled",
  tags: ["workflows"],
  params: workflowIdParams,
  responses: { 200: { description: "Disabled", schema: workflowStatus }, ...errorResponses },
  handler: async ({ services, caller, orgId, params }) =>
    jsonResponse(200, toStatus(await services.workflows.disable(orgId, params.workflow_id, "manual", caller!.name))),
});

function toStatus(record: WorkflowStateRecord) {
  return {
    workflow_id: record.workflow_id,
    org_id: record.org_id,
    is_disabled: record.is_disabled,
    disabled_reason: record.disabled_reason ?? null,
    related_oauth_connection: record.related_oauth_connection ?? null,
    disabled_at: record.disabled_at ?? null,
    disabled_by: record.disabled_by ?? null,
    enabled_at: record.enabled_at ?? null,
  };
}
