import { OAuthHelperError } from "./errors.js";

/** A current access token of a connection, as `GET /api/oauth/credentials/{name}` returns it. */
export interface OAuthConnectionToken {
  connectionName: string;
  /** The org the connection belongs to: the requested org, or `GLOBAL` when the read fell back to it. */
  orgId: string;
  accessToken: string;
  tokenType: string;
  expiresAt: Date;
  scopes: string[];
  /** `${tokenType} ${accessToken}`, ready for an `Authorization` header. */
  authorizationHeader: string;
}

/** Validates a 200 credentials body; a malformed one is `invalid_response` (naming the field, never its value: it may be the token). */
export function tokenFromBody(body: unknown, status: number): OAuthConnectionToken {
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = (key: string): string => {
    const value = record[key];
    if (typeof value !== "string" || value === "") throw invalid(status, key);
    return value;
  };
  const accessToken = text("access_token");
  const tokenType = text("token_type");
  const expiresAt = new Date(text("expires_at"));
  if (Number.isNaN(expiresAt.getTime())) throw invalid(status, "expires_at");
  const scopes = record.scopes;
  if (!Array.isArray(scopes) || !scopes.every((scope): scope is string => typeof scope === "string")) {
    throw invalid(status, "scopes");
  }
  return {
    connectionName: text("connection_name"),
    orgId: text("org_id"),
    accessToken,
    tokenType,
    expiresAt,
    scopes: [...scopes],
    authorizationHeader: `${tokenType} ${accessToken}`,
  };
}

/** A copy, so a caller that mutates its token cannot change what the cache hands to the next caller. */
export function copyToken(token: OAuthConnectionToken): OAuthConnectionToken {
  return { ...token, expiresAt: new Date(token.expiresAt.getTime()), scopes: [...token.scopes] };
}

function invalid(status: number, field: string): OAuthHelperError {
  return new OAuthHelperError("invalid_response", status, `OAuth Helper sent a credentials answer without a valid "${field}"`);
}
