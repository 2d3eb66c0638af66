import { z } from "zod";
import { API_KEY_ROLES } from "../../storage/api-key-repository.js";
import { orgId, timestamp } from "./common.js";

/** Key names become `created_by` on everything the key creates, so they stay short and plain. */
const keyName = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, "must be 1-64 of letters, digits, '.', '_', '@' and '-'");

export const createKeyBody = z
  .strictObject({ name: keyName, role: z.enum(API_KEY_ROLES), org_id: orgId })
  .meta({ id: "CreateApiKeyRequest" });

const keyFields = {
  id: z.string(),
  name: z.string(),
  role: z.enum(API_KEY_ROLES),
  org_id: z.string(),
  created_at: timestamp,
};

export const createdKey = z
  .object({ ...keyFields, key: z.string().meta({ description: "Shown only in this response" }) })
  .meta({ id: "CreatedApiKey" });

export const keySummary = z
  .object({ ...keyFields, created_by: z.string(), last_used_at: timestamp.nullable(), revoked: z.boolean() })
  .meta({ id: "ApiKeySummary" });

export const keyList = z.object({ keys: z.array(keySummary) }).meta({ id: "ApiKeyList" });

export const keyIdParams = z.strictObject({ id: z.string().regex(/^[0-9a-f-]{36}$/, "must be a key id") });

export const revokedKey = z.object({ message: z.string(), id: z.string(), revoked_at: timestamp }).meta({ id: "RevokedApiKey" });
