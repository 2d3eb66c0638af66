import type { ConfigRecord, ConfigType } from "../storage/config-repository.js";

/** What admins see instead of a secret. */
export const SECRET_MASK = "********";

/** A value as a client sends it: typed, with the secret itself for `secret_ref`. */
export type ConfigInput =
  | { type: "string"; value: string }
  | { type: "secret_ref"; value: string }
  | { type: "int"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "json"; value: unknown };

/** A config entry as the API answers it: the value typed, a secret masked unless resolved. */
export interface ConfigView {
  key: string;
  type: ConfigType;
  value: unknown;
  org_id: string;
  secret_set?: boolean;
}

/** The table holds strings only; int, bool and json are serialized. */
export function serializeValue(input: Exclude<ConfigInput, { type: "secret_ref" }>): string {
  return input.type === "json" ? JSON.stringify(input.value) : String(input.value);
}

/** The stored row as admins see it: typed, secret masked. */
export function maskedView(record: ConfigRecord): ConfigView {
  const { key, type, org_id } = record;
  if (type === "secret_ref") return { key, type, value: SECRET_MASK, org_id, secret_set: true };
  return { key, type, value: typedValue(type, record.value), org_id };
}

function typedValue(type: Exclude<ConfigType, "secret_ref">, stored: string): unknown {
  switch (type) {
    case "string":
      return stored;
    case "int":
      return Number(stored);
    case "bool":
      return stored === "true";
    case "json":
      return JSON.parse(stored) as unknown;
  }
}
