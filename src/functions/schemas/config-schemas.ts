import { z } from "zod";
import { CONFIG_TYPES } from "../../storage/config-repository.js";

/** Azure Table properties hold 32K UTF-16 characters; stored values stay under that. */
export const MAX_CONFIG_VALUE_CHARS = 32_000;
/** Secrets of other kinds (refresh tokens) have the same ceiling. */
export const MAX_CONFIG_SECRET_CHARS = 16_384;

/** Keys go into table row keys and URLs, so they are kept to a safe alphabet. */
export const configKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,200}$/, "must be 1-200 of letters, digits, '_', '.' and '-'")
  .meta({ example: "smtp.host" });

export const configKeyParams = z.strictObject({ key: configKey });

const jsonValue = z
  .unknown()
  .refine((value) => (JSON.stringify(value) ?? "").length <= MAX_CONFIG_VALUE_CHARS, `serialized, must be at most ${MAX_CONFIG_VALUE_CHARS} characters`)
  .meta({ description: "Any JSON value" });

/** PUT /config/{key}: the value is checked against its type here, at the edge. */
export const putConfigBody = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("string"), value: z.string().max(MAX_CONFIG_VALUE_CHARS) }),
    z.strictObject({ type: z.literal("int"), value: z.int() }),
    z.strictObject({ type: z.literal("bool"), value: z.boolean() }),
    z.strictObject({ type: z.literal("json"), value: jsonValue }),
    z.strictObject({
      type: z.literal("secret_ref"),
      value: z.string().min(1).max(MAX_CONFIG_SECRET_CHARS).meta({ description: "The secret itself; stored in the SecretStore, never returned to admins" }),
    }),
  ])
  .meta({ id: "PutConfigRequest" });

export const configEntry = z
  .object({
    key: z.string(),
    type: z.enum(CONFIG_TYPES),
    value: z.unknown().meta({
      description: "Typed: int as number, bool as boolean, json parsed; secret_ref masked as ******** (the secret itself only for workflow keys on GET /config/{key})",
    }),
    org_id: z.string().meta({ description: "The org whose entry answered: the acting org's, or GLOBAL" }),
    secret_set: z.boolean().optional().meta({ description: "On secret_ref entries only" }),
  })
  .meta({ id: "ConfigEntry" });

export const configList = z.object({ configs: z.array(configEntry) }).meta({ id: "ConfigList" });

export const deletedConfig = z.object({ message: z.string(), key: z.string(), org_id: z.string() }).meta({ id: "DeletedConfig" });

export const secretInUse = z
  .object({ error: z.literal("secret_in_use"), message: z.string(), connections: z.array(z.string()) })
  .meta({ id: "SecretInUse" });
