import { errorBody, errorResponses } from "./schemas/common.js";
import { authorizationStart, connectionDetail, connectionNameParams, testReport } from "./schemas/connection-schemas.js";
import { toConnectionDetail } from "./connection-view.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

const notFound = { 404: { description: "No such connection in the org", schema: errorBody } };

export const authorizeConnectionRoute = defineRoute({
  name: "authorizeConnection",
  methods: ["POST"],
  route: "oauth/connections/{name}/authorize",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Start the authorization-code flow: returns the provider URL to open; status becomes waiting_callback",
  tags: ["authorization"],
  params: connectionNameParams,
  responses: { 200: { description: "Authorization started", schema: authorizationStart }, ...errorResponses, ...notFound },
  handler: async ({ services, caller, orgId, params }) => {
    const started = await services.authorization.start(orgId, params.name, caller!.name);
    return started.ok ? jsonResponse(200, started.value) : failureResponse(started.error);
  },
});

export const cancelAuthorizationRoute = defineRoute({
  name: "cancelAuthorization",
  methods: ["POST"],
  route: "oauth/connections/{name}/cancel",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Abandon pending authorizations: their states stop working and the status goes back",
  tags: ["authorization"],
  params: connectionNameParams,
  responses: { 200: { description: "Cancelled", schema: connectionDetail }, ...errorResponses, ...notFound },
  handler: async ({ services, caller, orgId, params }) => {
    const cancelled = await services.authorization.cancel(orgId, params.name, caller!.name);
    return cancelled.ok ? jsonResponse(200, toConnectionDetail(cancelled.value, services.settings)) : failureResponse(cancelled.error);
  },
});

export const testConnectionRoute = defineRoute({
  name: "testConnection",
  methods: ["POST"],
  route: "oauth/connections/{name}/test",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Try the current access token at the provider (Graph /me, Google userinfo, or test_url)",
  tags: ["authorization"],
  params: connectionNameParams,
  responses: { 200: { description: "Test result", schema: testReport }, ...errorResponses, ...notFound },
  handler: async ({ services, caller, orgId, params }) => {
    const report = await services.connectionTests.run(orgId, params.name, caller!.name);
    return report.ok ? jsonResponse(200, report.value) : failureResponse(report.error);
  },
});
