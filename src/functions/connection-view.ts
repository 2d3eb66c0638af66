import type { z } from "zod";
import { redirectUriFor } from "../services/redirect-uri.js";
import type { Settings } from "../settings.js";
import type { ConnectionRecord } from "../storage/connection-repository.js";
import type { connectionDetail, connectionSummary } from "./schemas/connection-schemas.js";

/** The list entry: identity and state. */
export function toConnectionSummary(record: ConnectionRecord): z.input<typeof connectionSummary> {
  return {
    connection_name: record.connection_name,
    org_id: record.org_id,
    oauth_flow_type: record.oauth_flow_type,
    status: record.status,
    status_message: record.status_message ?? null,
    token_expires_at: record.token_expires_at ?? null,
    last_refresh_at: record.last_refresh_at ?? null,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

/** The public detail: the summary plus configuration, with secrets only as booleans. */
export function toConnectionDetail(record: ConnectionRecord, settings: Pick<Settings, "publicBaseUrl">): z.input<typeof connectionDetail> {
  return {
    ...toConnectionSummary(record),
    client_id: record.client_id,
    authorization_url: record.authorization_url ?? null,
    token_url: record.token_url,
    scopes: record.scopes,
    token_auth_method: record.token_auth_method,
    use_pkce: record.use_pkce,
    authorization_params: record.authorization_params,
    token_params: record.token_params,
    test_url: record.test_url ?? null,
    issuer: record.issuer ?? null,
    redirect_uri: redirectUriFor(settings, record.connection_name),
    last_test_at: record.last_test_at ?? null,
    created_by: record.created_by,
    client_secret_set: record.client_secret_name !== undefined,
    refresh_token_set: record.refresh_token_set,
  };
}
