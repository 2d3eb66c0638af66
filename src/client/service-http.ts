import { OAuthHelperError } from "./errors.js";

/** How to reach the service: its `/api` root, the fetch to use, the per-request timeout. */
export interface ServiceTarget {
  apiUrl: string;
  fetch: typeof fetch;
  timeoutMs: number;
  /** Values that must never appear in an error message (the API key). */
  secrets: readonly string[];
}

/** One request to the service. */
export interface ServiceRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  retryNetworkError: boolean;
}

/** What the service answered: the status and the JSON body (undefined when the body is not JSON). */
export interface ServiceAnswer {
  status: number;
  body: unknown;
}

/** Turns `https://host`, `https://host/`, `https://host/api` or `https://host/api/` into `https://host/api`. */
export function apiUrlFrom(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl must be an absolute http(s) URL, got "${baseUrl}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`baseUrl must be an absolute http(s) URL, got "${baseUrl}"`);
  }
  const path = url.pathname.replace(/\/+$/, "").replace(/\/api$/, "");
  return `${url.origin}${path}/api`;
}

/** Sends one request; a failure to get any answer becomes `network_error` (after one retry when asked). */
export async function sendServiceRequest(target: ServiceTarget, request: ServiceRequest): Promise<ServiceAnswer> {
  try {
    return await attempt(target, request);
  } catch (error) {
    // A timeout means the service is slow, not unreachable: retrying would only double the wait.
    if (!request.retryNetworkError || isTimeout(error)) throw networkError(target, request, error);
  }
  try {
    return await attempt(target, request);
  } catch (error) {
    throw networkError(target, request, error);
  }
}

async function attempt(target: ServiceTarget, request: ServiceRequest): Promise<ServiceAnswer> {
  const headers: Record<string, string> = { accept: "application/json", ...request.headers };
  const init: RequestInit = { method: request.method, headers, signal: AbortSignal.timeout(target.timeoutMs) };
  if (request.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(request.body);
  }
  const response = await target.fetch(`${target.apiUrl}${request.path}`, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

function networkError(target: ServiceTarget, request: ServiceRequest, error: unknown): OAuthHelperError {
  const url = `${target.apiUrl}${request.path}`;
  const reason = isTimeout(error) ? `no answer within ${target.timeoutMs} ms` : describe(error);
  return new OAuthHelperError("network_error", undefined, redact(`Could not reach OAuth Helper at ${url}: ${reason}`, target.secrets), {
    cause: error,
  });
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici hides the socket error (ECONNREFUSED, ENOTFOUND...) behind "fetch failed".
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/** Removes every secret from a text that ends up in an error message. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => (secret === "" ? result : result.split(secret).join("[redacted]")), text);
}
