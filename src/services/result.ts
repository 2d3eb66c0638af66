/** Stable codes for expected failures; src/functions/http-errors.ts maps each to an HTTP status. */
export type FailureCode =
  | "validation_failed"
  | "invalid_json"
  | "payload_too_large"
  | "unauthorized"
  | "forbidden"
  | "route_not_found"
  | "method_not_allowed"
  | "connection_not_found"
  | "connection_exists"
  | "authorization_not_applicable"
  | "invalid_state"
  | "connection_not_ready"
  | "not_refreshable"
  | "dependent_workflows"
  | "workflow_not_found"
  | "workflow_disabled"
  | "provider_refused"
  | "refresh_in_progress"
  | "key_not_found"
  | "function_not_found"
  | "config_not_found"
  | "config_key_reserved"
  | "secret_in_use"
  | "secret_not_readable";

/** An expected failure: a value, not an exception. */
export interface Failure {
  code: FailureCode;
  message: string;
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: FailureCode, message: string, details?: Record<string, unknown>): { ok: false; error: Failure } => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});
