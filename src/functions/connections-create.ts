import { errorBody, errorResponses } from "./schemas/common.js";
import { connectionDetail, createConnectionBody } from "./schemas/connection-schemas.js";
import { toConnectionDetail } from "./connection-view.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

export const createConnectionRoute = defineRoute({
  name: "createConnection",
  methods: ["POST"],
  route: "oauth/connections",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Create an OAuth connection in the acting org (X-Organization-Id) or GLOBAL",
  tags: ["connections"],
  body: createConnectionBody,
  responses: {
    201: { description: "Created", schema: connectionDetail },
    ...errorResponses,
    409: { description: "A connection with that name exists in the org", schema: errorBody },
    413: { description: "Body over 64 KiB", schema: errorBody },
  },
  handler: async ({ services, caller, orgId, body }) => {
    const created = await services.connections.create(orgId, body, caller!.name);
    if (!created.ok) return failureResponse(created.error);
    return jsonResponse(201, toConnectionDetail(created.value, services.settings));
  },
});
