/** RFC 6749 §5.2 errors that retrying cannot fix: the admin must reconnect or fix the configuration. */
export const PERMANENT_TOKEN_ERRORS = new Set(["invalid_grant", "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope"]);

/** Why a token request failed, without any request or response body. */
export interface TokenFailure {
  /** The provider's OAuth error code, or ours (`network_error`, `timeout`, `invalid_response`, ...). */
  error: string;
  /** The provider's error_description or our reason; shown to admins, never containing secrets. */
  description: string;
  status?: number;
  permanent: boolean;
}

const ADVICE: Record<string, string> = {
  invalid_grant: "The provider rejected the authorization grant or refresh token (invalid_grant). Reconnect the connection.",
  invalid_client: "The provider rejected the client credentials (invalid_client). Check the client ID, the client secret and the token auth method.",
  unauthorized_client: "The provider does not allow this client to use this grant (unauthorized_client). Check the app registration at the provider.",
  unsupported_grant_type: "The provider does not support this grant type (unsupported_grant_type). Check the connection's flow type.",
  invalid_scope: "The provider refused the requested scopes (invalid_scope). Check the connection's scopes.",
};

/** A status message that tells the admin what happened and what to do. */
export function describeTokenFailure(failure: TokenFailure): string {
  const advice = ADVICE[failure.error];
  const detail = failure.description === "" ? "" : ` Provider said: ${truncate(failure.description, 300)}`;
  if (advice !== undefined) return `${advice}${detail}`;
  const status = failure.status === undefined ? "" : ` (HTTP ${failure.status})`;
  return `The token request failed${status}: ${failure.error}. ${truncate(failure.description, 300)}`.trim();
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
