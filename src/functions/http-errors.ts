import type { HttpResponseInit } from "@azure/functions";
import type { Failure, FailureCode } from "../services/result.js";

const STATUS_BY_CODE: Record<FailureCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  route_not_found: 404,
  method_not_allowed: 405,
  connection_not_found: 404,
  connection_exists: 409,
  authorization_not_applicable: 400,
  invalid_state: 400,
  connection_not_ready: 503,
  not_refreshable: 400,
  dependent_workflows: 400,
  workflow_not_found: 404,
  workflow_disabled: 403,
  provider_refused: 502,
  refresh_in_progress: 409,
  key_not_found: 404,
  function_not_found: 404,
  config_not_found: 404,
  config_key_reserved: 400,
  secret_in_use: 409,
  secret_not_readable: 403,
};

/** The one place where failure codes become HTTP statuses (DESIGN §1). */
export function failureResponse(failure: Failure, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: STATUS_BY_CODE[failure.code],
    headers: { "Cache-Control": "no-store", ...headers },
    jsonBody: { error: failure.code, message: failure.message, ...failure.details },
  };
}

/** A JSON success response; API responses are never cached. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { "Cache-Control": "no-store", ...headers }, jsonBody: body };
}

export const internalErrorResponse = (requestId: string): HttpResponseInit => ({
  status: 500,
  headers: { "Cache-Control": "no-store" },
  jsonBody: { error: "internal_error", message: `Unexpected error; see the service log for request ${requestId}` },
});
