import { setTimeout as realSleep } from "node:timers/promises";
import { fetch, Headers, type Dispatcher } from "undici";
import { systemClock, type Clock } from "../clock.js";
import { BLOCKED_ADDRESS_CODE, createGuardedAgent, isBlockedAddress } from "./address-guard.js";
import { LOOPBACK_HOSTS } from "./loopback.js";
import { describeRequestTarget, ProviderRequestError } from "./provider-request-error.js";

/** What callers (and oauth4webapi's `customFetch`) pass; bodies are buffered so retries can resend them. */
export interface ProviderRequestInit {
  method?: string;
  headers?: Record<string, string> | Iterable<readonly [string, string]>;
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | null;
  /** Ignored: redirects are never followed. */
  redirect?: "follow" | "manual" | "error";
  signal?: AbortSignal | null;
  duplex?: "half";
}

/** The one way the service calls OAuth providers; usable as oauth4webapi's `customFetch`. */
export type ProviderFetch = (url: string | URL, init?: ProviderRequestInit) => Promise<Response>;

export interface ProviderFetchOptions {
  /** Defaults to an Agent that refuses link-local and metadata addresses; tests pass a MockAgent. */
  dispatcher?: Dispatcher;
  allowInsecureLoopback: boolean;
  timeoutMs?: number;
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: Clock;
  /** Called after every attempt, for logging; carries no bodies. */
  onAttempt?: (info: { attempt: number; status?: number; error?: string }) => void;
}

/** Failures that happen before a request reaches the server, so resending cannot repeat its effect. */
const CONNECT_PHASE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH"]);
const BASE_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;
const MAX_RETRY_AFTER_MS = 30_000;

/** Builds the provider client: https only, no redirects, timeouts, retries with backoff (RFC 9110 §10.2.3 Retry-After). */
export function createProviderFetch(options: ProviderFetchOptions): ProviderFetch {
  const dispatcher = options.dispatcher ?? createGuardedAgent();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const sleep = options.sleep ?? ((ms: number) => realSleep(ms));
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;

  return async (input, init = {}) => {
    const url = checkedUrl(input, options.allowInsecureLoopback);
    const target = describeRequestTarget(url);
    const body = await replayableBody(init.body);
    const headers = toHeaders(init.headers);
    const callerSignal = init.signal ?? undefined;

    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        // undici's Response, not the global class: oauth4webapi accepts it by its toStringTag.
        response = await fetch(url, {
          method: init.method ?? "GET",
          headers,
          body,
          redirect: "manual", // a token endpoint that redirects is misconfigured or hostile
          signal: callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout,
          dispatcher,
        });
      } catch (error) {
        if (callerSignal?.aborted) throw callerSignal.reason;
        const failure = classifyFetchFailure(error, timeout.aborted, target, timeoutMs);
        options.onAttempt?.({ attempt: attempt + 1, error: failure.code });
        // A POST that may have reached the provider is not resent: a token endpoint may already have
        // used the code or rotated the refresh token, and a second try would spend the grant.
        const resendable = isIdempotent(init.method) || CONNECT_PHASE_CODES.has(causeCode(error) ?? "");
        if (!failure.transient || !resendable || attempt >= maxRetries) throw failure;
        await sleep(backoffMs(attempt, random));
        if (callerSignal?.aborted) throw callerSignal.reason;
        continue;
      }
      options.onAttempt?.({ attempt: attempt + 1, status: response.status });
      if (!isRetryableStatus(response.status) || attempt >= maxRetries) return response;
      const waitMs = retryAfterMs(response, clock.now().getTime()) ?? backoffMs(attempt, random);
      await response.body?.cancel(); // frees the connection for the next attempt
      await sleep(waitMs);
      if (callerSignal?.aborted) throw callerSignal.reason;
    }
  };
}

function checkedUrl(input: string | URL, allowInsecureLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ProviderRequestError("insecure_url", "refused a provider request: the URL is not absolute and valid");
  }
  const target = describeRequestTarget(url);
  const loopbackAllowed = allowInsecureLoopback && url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !loopbackAllowed) {
    throw new ProviderRequestError("insecure_url", `refused ${url.protocol} request to ${target}: providers must use https`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new ProviderRequestError("insecure_url", `refused request to ${target}: the URL contains credentials`);
  }
  // IP literals never reach the guarded DNS lookup, so they are checked here.
  if (isBlockedAddress(url.hostname)) {
    throw new ProviderRequestError("blocked_address", `refused request to ${target}: link-local or cloud metadata address`);
  }
  return url;
}

async function replayableBody(body: ProviderRequestInit["body"]): Promise<string | URLSearchParams | Uint8Array | ArrayBuffer | null> {
  if (body === undefined || body === null) return null;
  // A stream can be read once; everything else can be sent again on retry.
  if (body instanceof ReadableStream) return new Uint8Array(await new Response(body).arrayBuffer());
  return body;
}

function toHeaders(input: ProviderRequestInit["headers"]): Headers {
  const headers = new Headers();
  if (input === undefined) return headers;
  const entries = Symbol.iterator in input ? input : Object.entries(input);
  for (const [name, value] of entries) headers.append(name, value);
  return headers;
}

function classifyFetchFailure(error: unknown, timedOut: boolean, target: string, timeoutMs: number): ProviderRequestError {
  if (timedOut) return new ProviderRequestError("timeout", `no answer from ${target} within ${timeoutMs} ms`);
  const code = causeCode(error);
  if (code === BLOCKED_ADDRESS_CODE) {
    return new ProviderRequestError("blocked_address", `refused request to ${target}: it resolves to a link-local or cloud metadata address`);
  }
  // Only the error code is named: undici messages can quote addresses and header values.
  return new ProviderRequestError("network_error", `network error calling ${target}${code ? ` (${code})` : ""}`);
}

function causeCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

const isIdempotent = (method: string | undefined) => ["GET", "HEAD", "OPTIONS"].includes((method ?? "GET").toUpperCase());

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function backoffMs(attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt));
}

function retryAfterMs(response: Response, nowMs: number): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const value = response.headers.get("retry-after")?.trim();
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - nowMs;
  if (Number.isNaN(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
