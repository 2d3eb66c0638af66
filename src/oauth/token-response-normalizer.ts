import type { ProviderFetch, ProviderRequestInit } from "./provider-fetch.js";
import { describeRequestTarget, ProviderRequestError } from "./provider-request-error.js";

export interface TokenResponseNormalization {
  /** Lifetime assumed when a success omits `expires_in`, so the token still gets refreshed. */
  defaultExpiresIn?: number;
  /** Drop `id_token` when no issuer is known to validate it against. */
  dropIdToken?: boolean;
}

type JsonObject = Record<string, unknown>;
const NOT_PARSED = Symbol("not parsed");
const FORM = "application/x-www-form-urlencoded";

/** Rewrites real-world token endpoint answers into RFC 6749 §5.1/§5.2 JSON that oauth4webapi then validates. */
export async function normalizeTokenResponse(response: Response, options: TokenResponseNormalization = {}): Promise<Response> {
  const target = response.url ? describeRequestTarget(response.url) : "the token endpoint";
  const mediaType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  const status = response.status;
  const text = await readBody(response, target);
  const parsed = parseBody(text, mediaType);
  const isObject = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);

  if (status >= 200 && status < 300) {
    if (!isObject) {
      const what = parsed === NOT_PARSED ? "is neither JSON nor form-encoded" : "is not a JSON object";
      throw new ProviderRequestError(
        "invalid_response",
        `invalid answer from ${target}: HTTP ${status} body (${describeMediaType(mediaType)}) ${what}`,
        { status },
      );
    }
    const body = parsed as JsonObject;
    // GitHub and Slack report errors with HTTP 200; RFC 6749 §5.2 says 400.
    if (isNonEmptyString(body.error) || body.ok === false) return jsonResponse(response, 400, errorBody(body));
    return jsonResponse(response, status, successBody(body, options));
  }
  if (isObject) return jsonResponse(response, status, parsed as JsonObject);
  if (status === 429 || status >= 500) {
    const error = status === 429 || status === 503 ? "temporarily_unavailable" : "server_error";
    return jsonResponse(response, status, { error, error_description: `HTTP ${status} from the token endpoint` });
  }
  // Other non-JSON answers (redirects, HTML 4xx) stay as they were; oauth4webapi rejects them with their status.
  return rebuild(response, status, text === "" ? null : text, response.headers.get("content-type"));
}

/** A `customFetch` for oauth4webapi token requests: the provider client followed by {@link normalizeTokenResponse}. */
export function createTokenEndpointFetch(
  providerFetch: ProviderFetch,
  options: TokenResponseNormalization = {},
): (url: string, init: ProviderRequestInit) => Promise<Response> {
  return (url, init) => providerFetch(url, init).then((response) => normalizeTokenResponse(response, options));
}

async function readBody(response: Response, target: string): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    // The request's timeout signal still governs the body after the headers arrived.
    const { status } = response;
    if (error instanceof Error && error.name === "TimeoutError") {
      throw new ProviderRequestError("timeout", `the answer from ${target} did not arrive in time`, { status });
    }
    throw new ProviderRequestError("network_error", `reading the answer from ${target} failed`, { status });
  }
}

function parseBody(text: string, mediaType: string): unknown {
  if (mediaType === FORM) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // GitHub-style form bodies sometimes arrive labelled text/plain (or unlabelled).
    if (mediaType === "text/plain" || mediaType === "") {
      const form = Object.fromEntries(new URLSearchParams(text.trim()));
      if ("access_token" in form || "error" in form) return form;
    }
    return NOT_PARSED;
  }
}

function successBody(body: JsonObject, options: TokenResponseNormalization): JsonObject {
  const result: JsonObject = { ...body };
  if (result.token_type === undefined || result.token_type === null || result.token_type === "") result.token_type = "Bearer";
  if (typeof result.expires_in === "string" && /^\s*\d+(\.\d+)?\s*$/.test(result.expires_in)) {
    result.expires_in = Number(result.expires_in);
  }
  if (result.expires_in === undefined || result.expires_in === null) result.expires_in = options.defaultExpiresIn ?? 3600;
  // RFC 6749 §3.3 scopes are space-delimited; GitHub and Slack use commas, some send arrays.
  if (Array.isArray(result.scope)) result.scope = result.scope.join(" ");
  if (typeof result.scope === "string") result.scope = result.scope.split(/[\s,]+/).filter(Boolean).join(" ");
  if (options.dropIdToken) delete result.id_token;
  return result;
}

function errorBody(body: JsonObject): JsonObject {
  const result: JsonObject = { error: isNonEmptyString(body.error) ? body.error : "invalid_request" };
  if (typeof body.error_description === "string") result.error_description = body.error_description;
  if (typeof body.error_uri === "string") result.error_uri = body.error_uri;
  return result;
}

function jsonResponse(original: Response, status: number, body: JsonObject): Response {
  return rebuild(original, status, JSON.stringify(body), "application/json");
}

function rebuild(original: Response, status: number, body: string | null, contentType: string | null): Response {
  const headers = new Headers(original.headers);
  // The body was read and decoded, so length and encoding of the original no longer apply.
  for (const name of ["content-length", "content-encoding", "transfer-encoding"]) headers.delete(name);
  if (contentType !== null) headers.set("content-type", contentType);
  // The global Response: oauth4webapi checks `instanceof Response` (with a toStringTag fallback).
  return new Response(body, { status, headers });
}

function describeMediaType(mediaType: string): string {
  return mediaType === "" ? "no content-type" : mediaType.replace(/[^\w.+/-]/g, "").slice(0, 64);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
