export type ProviderRequestErrorCode =
  | "network_error"
  | "timeout"
  | "invalid_response"
  | "blocked_address"
  | "insecure_url";

const TRANSIENT_CODES: ReadonlySet<ProviderRequestErrorCode> = new Set(["network_error", "timeout", "invalid_response"]);

/**
 * A request to an OAuth provider that failed before it produced a usable HTTP answer.
 * The message names host, path and reason only: bodies, header values and query strings
 * can carry codes, secrets and tokens, so they never reach it (and there is no `cause`).
 */
export class ProviderRequestError extends Error {
  override readonly name = "ProviderRequestError";
  readonly code: ProviderRequestErrorCode;
  /** Network errors, timeouts and unusable answers may succeed on a later try; the rest will not. */
  readonly transient: boolean;
  readonly status?: number;

  constructor(code: ProviderRequestErrorCode, message: string, options: { status?: number } = {}) {
    super(message);
    this.code = code;
    this.transient = TRANSIENT_CODES.has(code);
    if (options.status !== undefined) this.status = options.status;
  }
}

/** Host and path of a URL without query, fragment or credentials, for error messages and logs. */
export function describeRequestTarget(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return "an unparseable URL";
  }
}
