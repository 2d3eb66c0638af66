import type { HttpRequest } from "@azure/functions";
import type { Result } from "../services/result.js";
import { ok } from "../services/result.js";
import type { WorkflowRef } from "../services/workflow-dependency-service.js";
import { errorBody, errorResponses } from "./schemas/common.js";
import { connectionNameParams } from "./schemas/connection-schemas.js";
import { credentials, notReady, WORKFLOW_ID_HEADER, WORKFLOW_NAME_HEADER, workflowId, workflowName } from "./schemas/credential-schemas.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { validationFailure } from "./request-validation.js";
import { defineRoute } from "./route.js";

export const getCredentialsRoute = defineRoute({
  name: "getCredentials",
  methods: ["GET"],
  route: "oauth/credentials/{name}",
  auth: { roles: ["workflow"] },
  org: "read",
  summary: "A current access token for the org's connection (or GLOBAL's), refreshed first when it is about to expire",
  tags: ["credentials"],
  params: connectionNameParams,
  responses: {
    200: { description: "Credentials (Cache-Control: no-store)", schema: credentials },
    ...errorResponses,
    404: { description: "Neither the org nor GLOBAL has the connection", schema: errorBody },
    503: { description: "The connection is not connected, or its token expired and cannot be refreshed now", schema: notReady },
  },
  handler: async ({ services, caller, orgId, params, request }) => {
    const workflow = workflowFrom(request, orgId);
    if (!workflow.ok) return failureResponse(workflow.error);
    const read = await services.credentials.read(orgId, params.name, caller!, workflow.value);
    return read.ok ? jsonResponse(200, read.value) : failureResponse(read.error);
  },
});

/** X-Workflow-Id (and X-Workflow-Name): the workflow whose dependency on the connection is recorded. */
function workflowFrom(request: HttpRequest, orgId: string): Result<WorkflowRef | undefined> {
  const id = request.headers.get(WORKFLOW_ID_HEADER);
  if (id === null) return ok(undefined);
  const name = request.headers.get(WORKFLOW_NAME_HEADER);
  const idCheck = workflowId.safeParse(id);
  const nameCheck = name === null ? undefined : workflowName.safeParse(name);
  const problems = [
    ...(idCheck.success ? [] : [{ field: "header.X-Workflow-Id", message: idCheck.error.issues[0]!.message }]),
    ...(nameCheck === undefined || nameCheck.success ? [] : [{ field: "header.X-Workflow-Name", message: nameCheck.error.issues[0]!.message }]),
  ];
  if (problems.length > 0) return validationFailure(problems);
  return ok({ workflow_id: id, workflow_name: name ?? undefined, org_id: orgId });
}
