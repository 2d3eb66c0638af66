import { OAuthHelperError } from "./errors.js";

/** The config value types of `PUT /api/config/{key}`. */
export type ConfigType = "string" | "int" | "bool" | "json" | "secret_ref";

/** A config entry, as `GET /api/config/{key}` returns it to a workflow key. */
export interface ConfigValue {
  key: string;
  type: ConfigType;
  /** Typed: string, number (int), boolean (bool), the parsed JSON (json), or the secret itself (secret_ref). */
  value: unknown;
  /** The org whose entry answered: the requested org, or `GLOBAL` when the read fell back to it. */
  orgId: string;
}

const TYPES: readonly string[] = ["string", "int", "bool", "json", "secret_ref"];

/** Validates a 200 config body; a malformed one is `invalid_response` (naming the field, never the value: it may be a secret). */
export function configFromBody(body: unknown, status: number): ConfigValue {
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = (field: string): string => {
    const value = record[field];
    if (typeof value !== "string" || value === "") throw invalid(status, field);
    return value;
  };
  const type = text("type");
  if (!TYPES.includes(type)) throw invalid(status, "type");
  if (!("value" in record) || !matchesType(type as ConfigType, record.value)) throw invalid(status, "value");
  return { key: text("key"), type: type as ConfigType, value: record.value, orgId: text("org_id") };
}

function matchesType(type: ConfigType, value: unknown): boolean {
  if (type === "string" || type === "secret_ref") return typeof value === "string";
  if (type === "int") return Number.isSafeInteger(value);
  if (type === "bool") return typeof value === "boolean";
  return true;
}

function invalid(status: number, field: string): OAuthHelperError {
  return new OAuthHelperError("invalid_response", status, `OAuth Helper sent a config answer without a valid "${field}"`);
}
