import type { ApiKeyRecord } from "../storage/api-key-repository.js";
import { errorBody, errorResponses } from "./schemas/common.js";
import { createKeyBody, createdKey, keyIdParams, keyList, revokedKey } from "./schemas/key-schemas.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

const adminGlobal = { roles: ["admin"], globalOnly: true } as const;

export const createKeyRoute = defineRoute({
  name: "createApiKey",
  methods: ["POST"],
  route: "oauth/keys",
  auth: adminGlobal,
  summary: "Issue an API key; the key is in this response only",
  tags: ["keys"],
  body: createKeyBody,
  responses: { 201: { description: "Issued", schema: createdKey }, ...errorResponses },
  handler: async ({ services, caller, body }) => {
    const { record, key } = await services.apiKeys.issue(body, caller!.name);
    const { id, name, role, org_id, created_at } = record;
    return jsonResponse(201, { id, key, name, role, org_id, created_at });
  },
});

export const listKeysRoute = defineRoute({
  name: "listApiKeys",
  methods: ["GET"],
  route: "oauth/keys",
  auth: adminGlobal,
  summary: "List API keys (never the keys themselves)",
  tags: ["keys"],
  responses: { 200: { description: "Keys", schema: keyList }, ...errorResponses },
  handler: async ({ services }) => {
    const keys = await services.apiKeys.list();
    keys.sort((a, b) => a.created_at.localeCompare(b.created_at));
    return jsonResponse(200, { keys: keys.map(toKeySummary) });
  },
});

export const revokeKeyRoute = defineRoute({
  name: "revokeApiKey",
  methods: ["DELETE"],
  route: "oauth/keys/{id}",
  auth: adminGlobal,
  summary: "Revoke an API key; it stops working at once",
  tags: ["keys"],
  params: keyIdParams,
  responses: {
    200: { description: "Revoked", schema: revokedKey },
    ...errorResponses,
    404: { description: "No such key", schema: errorBody },
  },
  handler: async ({ services, caller, params }) => {
    const revoked = await services.apiKeys.revoke(params.id, caller!.name);
    if (!revoked.ok) return failureResponse(revoked.error);
    return jsonResponse(200, { message: "API key revoked", id: revoked.value.id, revoked_at: revoked.value.revoked_at });
  },
});

function toKeySummary(record: ApiKeyRecord) {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    org_id: record.org_id,
    created_at: record.created_at,
    created_by: record.created_by,
    last_used_at: record.last_used_at ?? null,
    revoked: record.revoked,
  };
}
