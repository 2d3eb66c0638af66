import { z } from "zod";
import type { Settings } from "../../settings.js";
import { CONNECTION_STATUSES, OAUTH_FLOW_TYPES, TOKEN_AUTH_METHODS } from "../../storage/connection-repository.js";
import { booleanFlag, connectionName, orgId, timestamp } from "./common.js";
import { providerUrl } from "./provider-url.js";

/** RFC 6749 §3.3 scope-token characters; commas and spaces separate scopes. */
const SCOPE_TOKEN = /^[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+$/;

const scopes = z
  .string()
  .max(4096)
  .transform((value, ctx) => {
    const tokens = value.split(/[\s,]+/).filter((token) => token !== "");
    const bad = tokens.find((token) => !SCOPE_TOKEN.test(token));
    if (bad !== undefined) ctx.addIssue({ code: "custom", message: `scope "${bad}" has characters RFC 6749 §3.3 does not allow` });
    return [...new Set(tokens)];
  })
  .meta({ description: "Scopes, comma- or space-separated", example: "openid,offline_access,Mail.Read" });

/** Parameters our own protocol code sets; letting extra parameters override them would break the flow. */
const RESERVED_AUTHORIZATION_PARAMS = ["response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"];
const RESERVED_TOKEN_PARAMS = ["grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token", "scope"];

const extraParams = (reserved: string[]) =>
  z
    .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "parameter names are 1-64 of [A-Za-z0-9_.-]"), z.string().max(2048))
    .refine((params) => Object.keys(params).length <= 20, "at most 20 parameters")
    .refine((params) => !Object.keys(params).some((name) => reserved.includes(name)), `may not set ${reserved.join(", ")}`);

/** The configuration fields shared by create and update. */
function configurationFields(settings: Pick<Settings, "allowInsecureLoopback">) {
  const url = providerUrl(settings);
  return {
    client_id: z.string().min(1).max(512),
    client_secret: z.string().min(1).max(8192).meta({ description: "Stored in the SecretStore; never returned" }),
    authorization_url: url.meta({ description: "Required for authorization_code" }),
    token_url: url,
    scopes,
    refresh_token: z.string().min(1).max(16384).meta({ description: "Required for refresh_token; never returned" }),
    token_auth_method: z.enum(TOKEN_AUTH_METHODS),
    use_pkce: z.boolean(),
    authorization_params: extraParams(RESERVED_AUTHORIZATION_PARAMS),
    token_params: extraParams(RESERVED_TOKEN_PARAMS),
    test_url: url.meta({ description: "Called with the access token to test the connection" }),
    issuer: z.url({ protocol: /^https?$/ }).max(2048).meta({
      description: "The provider's issuer identifier; when set, `iss` in callbacks (RFC 9207) and ID tokens are checked against it",
    }),
  };
}

/** POST /oauth/connections: the seed's CreateOAuthConnectionRequest plus the options of DESIGN §5. */
export function createConnectionBody(settings: Pick<Settings, "allowInsecureLoopback">) {
  const fields = configurationFields(settings);
  return z
    .strictObject({
      connection_name: connectionName,
      oauth_flow_type: z.enum(OAUTH_FLOW_TYPES),
      client_id: fields.client_id,
      client_secret: fields.client_secret.optional(),
      authorization_url: fields.authorization_url.optional(),
      token_url: fields.token_url,
      scopes: fields.scopes.optional(),
      refresh_token: fields.refresh_token.optional(),
      token_auth_method: fields.token_auth_method.default("client_secret_basic"),
      use_pkce: fields.use_pkce.default(true),
      authorization_params: fields.authorization_params.default({}),
      token_params: fields.token_params.default({}),
      test_url: fields.test_url.optional(),
      issuer: fields.issuer.optional(),
    })
    .superRefine((body, ctx) => {
      const require = (field: keyof typeof body, flow: string) => {
        if (body[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required for ${flow}` });
      };
      if (body.oauth_flow_type === "authorization_code") require("authorization_url", "authorization_code");
      if (body.oauth_flow_type === "client_credentials") require("client_secret", "client_credentials");
      if (body.oauth_flow_type === "refresh_token") require("refresh_token", "refresh_token");
      if (body.oauth_flow_type !== "refresh_token" && body.refresh_token !== undefined) {
        ctx.addIssue({ code: "custom", path: ["refresh_token"], message: "is only accepted for refresh_token" });
      }
    })
    .transform((body) => ({ ...body, scopes: body.scopes ?? [] }))
    .meta({ id: "CreateConnectionRequest" });
}

/** PUT /oauth/connections/{name}: any configuration field; absent ones stay, `null` clears test_url or issuer. */
export function updateConnectionBody(settings: Pick<Settings, "allowInsecureLoopback">) {
  const fields = configurationFields(settings);
  return z
    .strictObject({
      client_id: fields.client_id.optional(),
      client_secret: fields.client_secret.optional(),
      authorization_url: fields.authorization_url.optional(),
      token_url: fields.token_url.optional(),
      scopes: fields.scopes.optional(),
      refresh_token: fields.refresh_token.optional(),
      token_auth_method: fields.token_auth_method.optional(),
      use_pkce: fields.use_pkce.optional(),
      authorization_params: fields.authorization_params.optional(),
      token_params: fields.token_params.optional(),
      test_url: fields.test_url.nullable().optional(),
      issuer: fields.issuer.nullable().optional(),
    })
    .refine((body) => Object.keys(body).length > 0, "name at least one field to change")
    .meta({ id: "UpdateConnectionRequest" });
}

export const deleteConnectionQuery = z.strictObject({
  confirm_disable_workflows: z.enum(["true", "false"]).optional().transform((value) => value === "true"),
});

export const deletedConnection = z
  .object({ message: z.string(), disabled_workflows: z.array(z.string()) })
  .meta({ id: "DeletedConnection" });

export const dependentWorkflows = z
  .object({
    error: z.literal("dependent_workflows"),
    message: z.string(),
    dependent_workflows: z.array(z.object({ workflow_id: z.string(), workflow_name: z.string().nullable(), org_id: z.string(), last_accessed_at: timestamp })),
  })
  .meta({ id: "DependentWorkflows" });

export const eventsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(2048).optional(),
});

export const connectionEvents = z
  .object({
    events: z.array(z.object({ event_type: z.string(), actor: z.string(), occurred_at: timestamp, details: z.record(z.string(), z.unknown()) })),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: "ConnectionEvents" });

const nullableTimestamp = timestamp.nullable();

export const connectionDetail = z
  .object({
    connection_name: z.string(),
    org_id: z.string(),
    oauth_flow_type: z.enum(OAUTH_FLOW_TYPES),
    client_id: z.string(),
    authorization_url: z.string().nullable(),
    token_url: z.string(),
    scopes: z.string().meta({ description: "Comma-separated" }),
    token_auth_method: z.enum(TOKEN_AUTH_METHODS),
    use_pkce: z.boolean(),
    authorization_params: z.record(z.string(), z.string()),
    token_params: z.record(z.string(), z.string()),
    test_url: z.string().nullable(),
    issuer: z.string().nullable(),
    redirect_uri: z.string().meta({ description: "Register this at the provider" }),
    status: z.enum(CONNECTION_STATUSES),
    status_message: z.string().nullable(),
    token_expires_at: nullableTimestamp,
    last_refresh_at: nullableTimestamp,
    last_test_at: nullableTimestamp,
    created_at: timestamp,
    created_by: z.string(),
    updated_at: timestamp,
    client_secret_set: z.boolean(),
    refresh_token_set: z.boolean(),
  })
  .meta({ id: "ConnectionDetail" });

export const connectionSummary = z
  .object({
    connection_name: z.string(),
    org_id: z.string(),
    oauth_flow_type: z.enum(OAUTH_FLOW_TYPES),
    status: z.enum(CONNECTION_STATUSES),
    status_message: z.string().nullable(),
    token_expires_at: nullableTimestamp,
    last_refresh_at: nullableTimestamp,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: "ConnectionSummary" });

export const connectionList = z
  .object({ connections: z.array(connectionSummary), count: z.number().int() })
  .meta({ id: "ConnectionList" });

export const connectionNameParams = z.strictObject({ name: connectionName });

export const listConnectionsQuery = z.strictObject({
  include_global: booleanFlag.meta({ description: "Also list GLOBAL connections (default true)" }),
});

export { orgId };

export const authorizationStart = z
  .object({
    authorization_url: z.string().meta({ description: "Open this in the admin's browser" }),
    state: z.string(),
    expires_at: timestamp,
  })
  .meta({ id: "AuthorizationStart" });

export const testReport = z
  .object({ test_result: z.enum(["success", "failed", "skipped"]), message: z.string(), tested_at: timestamp })
  .meta({ id: "ConnectionTestReport" });
