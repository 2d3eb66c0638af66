import { errorBody, errorResponses } from "./schemas/common.js";
import { dependency, registerDependencyBody, workflowIdParams } from "./schemas/credential-schemas.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

export const registerDependencyRoute = defineRoute({
  name: "registerWorkflowDependency",
  methods: ["POST"],
  route: "oauth/workflows/{workflow_id}/dependencies",
  auth: { roles: ["workflow", "admin"] },
  org: "read",
  summary: "Record that a workflow uses a connection (idempotent); the connection resolves org first, then GLOBAL",
  tags: ["workflows"],
  params: workflowIdParams,
  body: registerDependencyBody,
  responses: {
    201: { description: "Registered", schema: dependency },
    ...errorResponses,
    404: { description: "No such connection in the org or GLOBAL", schema: errorBody },
  },
  handler: async ({ services, orgId, params, body }) => {
    const connection = await services.connections.get(orgId, body.connection_name);
    if (!connection.ok) return failureResponse(connection.error);
    const record = await services.dependencies.register({ workflow_id: params.workflow_id, workflow_name: body.workflow_name, org_id: orgId }, connection.value);
    return jsonResponse(201, {
      workflow_id: record.workflow_id,
      workflow_name: record.workflow_name ?? null,
      connection_name: record.connection_name,
      org_id: record.connection_org_id,
      registered_at: record.registered_at,
      last_accessed_at: record.last_accessed_at,
    });
  },
});
