import { errorResponses } from "./schemas/common.js";
import { connectionList, listConnectionsQuery } from "./schemas/connection-schemas.js";
import { toConnectionSummary } from "./connection-view.js";
import { jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

export const listConnectionsRoute = defineRoute({
  name: "listConnections",
  methods: ["GET"],
  route: "oauth/connections",
  auth: { roles: ["admin"] },
  org: "read",
  summary: "List the acting org's connections, and GLOBAL ones unless include_global=false",
  tags: ["connections"],
  query: listConnectionsQuery,
  responses: { 200: { description: "Connections", schema: connectionList }, ...errorResponses },
  handler: async ({ services, orgId, query }) => {
    const records = await services.connections.list(orgId, query.include_global);
    const connections = records.map(toConnectionSummary);
    return jsonResponse(200, { connections, count: connections.length });
  },
});
