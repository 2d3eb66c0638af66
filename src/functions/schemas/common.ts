import { z } from "zod";
import { ORG_ID_PATTERN } from "../../settings.js";

/** Connection names go into table keys, secret names and URLs, so they are kept to a safe alphabet. */
export const connectionName = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,100}$/, "must be 1-100 of letters, digits, '_' and '-'")
  .meta({ example: "graph-mail" });

export const orgId = z.string().regex(ORG_ID_PATTERN, "must be 1-64 of letters, digits, '_' and '-' (or GLOBAL)");

export const timestamp = z.string().meta({ format: "date-time" });

/** Every error answer: a stable code, a message for people, and route-specific fields. */
export const errorBody = z
  .object({
    error: z.string().meta({ description: "Stable error code, e.g. validation_failed, connection_not_found" }),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Error" });

export const healthBody = z.object({ status: z.enum(["ok", "unavailable"]) }).meta({ id: "Health" });

/** Query flags arrive as strings. */
export const booleanFlag = z
  .enum(["true", "false"])
  .optional()
  .transform((value) => value !== "false");

export const errorResponses = {
  400: { description: "Invalid request", schema: errorBody },
  401: { description: "Missing, unknown or revoked API key", schema: errorBody },
  403: { description: "The key may not do this", schema: errorBody },
} as const;
