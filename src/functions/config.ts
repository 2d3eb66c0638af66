import { errorBody, errorResponses } from "./schemas/common.js";
import { configEntry, configKeyParams, configList, deletedConfig, putConfigBody, secretInUse } from "./schemas/config-schemas.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

const { 401: unauthorized, 403: forbidden } = errorResponses;

export const listConfigRoute = defineRoute({
  name: "listConfig",
  methods: ["GET"],
  route: "config",
  auth: { roles: ["admin"] },
  org: "read",
  summary: "List config: the acting org's entries, then GLOBAL's it does not override; secret values masked",
  tags: ["config"],
  responses: { 200: { description: "Config entries", schema: configList }, ...errorResponses },
  handler: async ({ services, orgId }) => jsonResponse(200, { configs: await services.configs.list(orgId) }),
});

export const getConfigRoute = defineRoute({
  name: "getConfig",
  methods: ["GET"],
  route: "config/{key}",
  auth: { roles: ["admin", "workflow"] },
  org: "read",
  summary: "Read one entry (the org's, else GLOBAL's); workflow keys get a secret_ref's secret, admin keys a mask",
  tags: ["config"],
  params: configKeyParams,
  responses: {
    200: { description: "The entry (Cache-Control: no-store)", schema: configEntry },
    ...errorResponses,
    403: { description: "The key may not do this, or (secret_not_readable) the secret belongs to an OAuth connection", schema: errorBody },
    404: { description: "Neither the org nor GLOBAL has the key", schema: errorBody },
  },
  handler: async ({ services, caller, orgId, params }) => {
    const found = await services.configs.get(orgId, params.key, caller!.role === "workflow");
    return found.ok ? jsonResponse(200, found.value) : failureResponse(found.error);
  },
});

export const putConfigRoute = defineRoute({
  name: "putConfig",
  methods: ["PUT"],
  route: "config/{key}",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Create or replace an entry in the acting org; a secret_ref value is stored in the SecretStore",
  tags: ["config"],
  params: configKeyParams,
  body: putConfigBody,
  responses: {
    200: { description: "Replaced", schema: configEntry },
    201: { description: "Created", schema: configEntry },
    ...errorResponses,
    400: { description: "Invalid request, or (config_key_reserved) an oauth_ key, which OAuth connections manage", schema: errorBody },
    413: { description: "Body over 64 KiB", schema: errorBody },
  },
  handler: async ({ services, caller, orgId, params, body }) => {
    const saved = await services.configs.set(orgId, params.key, body, caller!.name);
    if (!saved.ok) return failureResponse(saved.error);
    return jsonResponse(saved.value.created ? 201 : 200, saved.value.entry);
  },
});

export const deleteConfigRoute = defineRoute({
  name: "deleteConfig",
  methods: ["DELETE"],
  route: "config/{key}",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Delete the acting org's entry and its secret; refused while an OAuth connection uses the secret (FR-018)",
  tags: ["config"],
  params: configKeyParams,
  responses: {
    200: { description: "Deleted", schema: deletedConfig },
    400: { description: "Invalid request, or (config_key_reserved) a row an existing OAuth connection mirrors", schema: errorBody },
    401: unauthorized,
    403: forbidden,
    404: { description: "The acting org has no such key (GLOBAL's is not deleted by fallback)", schema: errorBody },
    409: { description: "An OAuth connection uses the secret", schema: secretInUse },
  },
  handler: async ({ services, caller, orgId, params }) => {
    const deleted = await services.configs.delete(orgId, params.key, caller!.name);
    if (!deleted.ok) return failureResponse(deleted.error);
    return jsonResponse(200, { message: `Config ${params.key} deleted`, key: params.key, org_id: deleted.value.org_id });
  },
});
