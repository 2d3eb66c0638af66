import { errorBody, errorResponses } from "./schemas/common.js";
import { connectionDetail, connectionNameParams } from "./schemas/connection-schemas.js";
import { toConnectionDetail } from "./connection-view.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

export const getConnectionRoute = defineRoute({
  name: "getConnection",
  methods: ["GET"],
  route: "oauth/connections/{name}",
  auth: { roles: ["admin"] },
  org: "read",
  summary: "Get a connection: the acting org's, else the GLOBAL one",
  tags: ["connections"],
  params: connectionNameParams,
  responses: {
    200: { description: "The connection", schema: connectionDetail },
    ...errorResponses,
    404: { description: "No such connection in the org or GLOBAL", schema: errorBody },
  },
  handler: async ({ services, orgId, params }) => {
    const found = await services.connections.get(orgId, params.name);
    if (!found.ok) return failureResponse(found.error);
    return jsonResponse(200, toConnectionDetail(found.value, services.settings));
  },
});
