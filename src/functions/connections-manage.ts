import { errorBody, errorResponses } from "./schemas/common.js";
import {
  connectionDetail,
  connectionEvents,
  connectionNameParams,
  deleteConnectionQuery,
  deletedConnection,
  dependentWorkflows,
  eventsQuery,
  updateConnectionBody,
} from "./schemas/connection-schemas.js";
import { toConnectionDetail } from "./connection-view.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

const notFound = { 404: { description: "No such connection in the org", schema: errorBody } };

export const updateConnectionRoute = defineRoute({
  name: "updateConnection",
  methods: ["PUT"],
  route: "oauth/connections/{name}",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Change configuration; new URLs, client id/secret or scopes set not_connected (client_credentials reconnect at once)",
  tags: ["connections"],
  params: connectionNameParams,
  body: updateConnectionBody,
  responses: { 200: { description: "Updated", schema: connectionDetail }, ...errorResponses, ...notFound, 413: { description: "Body over 64 KiB", schema: errorBody } },
  handler: async ({ services, caller, orgId, params, body }) => {
    const updated = await services.connectionUpdate.update(orgId, params.name, body, caller!.name);
    return updated.ok ? jsonResponse(200, toConnectionDetail(updated.value, services.settings)) : failureResponse(updated.error);
  },
});

export const deleteConnectionRoute = defineRoute({
  name: "deleteConnection",
  methods: ["DELETE"],
  route: "oauth/connections/{name}",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Delete a connection; refused while workflows depend on it unless confirm_disable_workflows=true, which disables them",
  tags: ["connections"],
  params: connectionNameParams,
  query: deleteConnectionQuery,
  responses: {
    200: { description: "Deleted", schema: deletedConnection },
    400: { description: "Workflows depend on it (or invalid request)", schema: dependentWorkflows },
    401: errorResponses[401],
    403: errorResponses[403],
    ...notFound,
  },
  handler: async ({ services, caller, orgId, params, query }) => {
    const deleted = await services.connectionDeletion.delete(orgId, params.name, caller!.name, query.confirm_disable_workflows);
    if (!deleted.ok) return failureResponse(deleted.error);
    const count = deleted.value.disabled_workflows.length;
    const message = count === 0 ? `Connection ${params.name} deleted` : `Connection ${params.name} deleted; ${count} workflow(s) disabled`;
    return jsonResponse(200, { message, disabled_workflows: deleted.value.disabled_workflows });
  },
});

export const connectionEventsRoute = defineRoute({
  name: "connectionEvents",
  methods: ["GET"],
  route: "oauth/connections/{name}/events",
  auth: { roles: ["admin"] },
  org: "read",
  summary: "The connection's history (audit events), newest first, paged with `cursor`",
  tags: ["connections"],
  params: connectionNameParams,
  query: eventsQuery,
  responses: { 200: { description: "Events", schema: connectionEvents }, ...errorResponses, 404: { description: "No such connection in the org or GLOBAL", schema: errorBody } },
  handler: async ({ services, orgId, params, query }) => {
    const found = await services.connections.get(orgId, params.name);
    if (!found.ok) return failureResponse(found.error);
    const page = await services.audit.page(found.value.org_id, params.name, query.limit ?? 50, query.cursor);
    const events = page.events.map(({ event_type, actor, occurred_at, details }) => ({ event_type, actor, occurred_at, details }));
    return jsonResponse(200, { events, next_cursor: page.nextCursor ?? null });
  },
});
