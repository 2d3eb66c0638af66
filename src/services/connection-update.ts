import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { ConnectionRecord, TokenAuthMethod } from "../storage/connection-repository.js";
import type { SecretStore } from "../storage/secret-store.js";
import type { StateRepository } from "../storage/state-repository.js";
import type { AuditLog } from "./audit-log.js";
import type { AuthorizationService } from "./authorization-service.js";
import type { ConnectionStore } from "./connection-store.js";
import { fail, ok, type Result } from "./result.js";

/** What PUT may change; absent fields stay as they are, `null` clears an optional one. */
export interface ConnectionChanges {
  client_id?: string | undefined;
  client_secret?: string | undefined;
  authorization_url?: string | undefined;
  token_url?: string | undefined;
  scopes?: string[] | undefined;
  refresh_token?: string | undefined;
  token_auth_method?: TokenAuthMethod | undefined;
  use_pkce?: boolean | undefined;
  authorization_params?: Record<string, string> | undefined;
  token_params?: Record<string, string> | undefined;
  test_url?: string | null | undefined;
  issuer?: string | null | undefined;
}

/** Changes to these invalidate the grant: the provider, the client or what was consented to. */
const RECONNECT_FIELDS = ["authorization_url", "token_url", "client_id", "client_secret", "scopes", "refresh_token"] as const;
export const RECONNECT_MESSAGE = "Configuration changed; reconnect required";

/** Updating a connection's configuration (DESIGN §5 PUT). */
export class ConnectionUpdate {
  constructor(
    private readonly deps: {
      store: ConnectionStore;
      states: StateRepository;
      secrets: SecretStore;
      authorization: AuthorizationService;
      audit: AuditLog;
      clock: Clock;
    },
  ) {}

  async update(orgId: string, name: string, changes: ConnectionChanges, actor: string): Promise<Result<ConnectionRecord>> {
    const { store, secrets } = this.deps;
    const current = await store.get(orgId, name);
    if (current === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    const problem = flowProblem(current, changes);
    if (problem !== undefined) return fail("validation_failed", "The request is not valid; see details", { details: [problem] });

    const changed = await this.#changedFields(current, changes);
    const reconnect = changed.some((field) => (RECONNECT_FIELDS as readonly string[]).includes(field));
    const base = current.tokens_secret_name.replace(/-tokens$/, "");
    const clientSecretName = current.client_secret_name ?? (changes.client_secret === undefined ? undefined : `${base}-client-secret`);
    // Secrets first: the row never points at a secret that is not there.
    if (changed.includes("client_secret") && clientSecretName !== undefined) await secrets.set(clientSecretName, changes.client_secret!);
    if (changed.includes("refresh_token")) await secrets.set(current.tokens_secret_name, JSON.stringify({ refresh_token: changes.refresh_token }));

    const now = this.deps.clock.now().toISOString();
    const updated = await store.update(orgId, name, (row) => ({
      ...row,
      ...configFields(changes),
      client_secret_name: clientSecretName,
      ...(changed.includes("refresh_token") ? { tokens_version: randomUUID(), refresh_token_set: true, token_expires_at: undefined } : {}),
      ...(reconnect ? { status: "not_connected" as const, status_message: RECONNECT_MESSAGE, previous_status: undefined, previous_status_message: undefined } : {}),
      updated_at: now,
      updated_by: actor,
    }));
    if (updated === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    if (reconnect) await this.deps.states.deleteForConnection(orgId, name);
    await this.deps.audit.record({ org_id: orgId, connection_name: name, event_type: "connection_updated", actor, details: { changed_fields: changed, reconnect_required: reconnect } });
    // Flows without a browser reconnect on their own, at once.
    const automatic = updated.oauth_flow_type === "client_credentials" || (updated.oauth_flow_type === "refresh_token" && changed.includes("refresh_token"));
    if (reconnect && automatic) return ok(await this.deps.authorization.connectWithoutBrowser(updated, actor));
    return ok(updated);
  }

  async #changedFields(current: ConnectionRecord, changes: ConnectionChanges): Promise<string[]> {
    const changed: string[] = [];
    const after: Record<string, unknown> = { ...current, ...configFields(changes) };
    for (const field of Object.keys(configFields(changes))) {
      if (JSON.stringify(after[field]) !== JSON.stringify((current as unknown as Record<string, unknown>)[field])) changed.push(field);
    }
    if (changes.client_secret !== undefined) {
      const old = current.client_secret_name === undefined ? undefined : await this.deps.secrets.get(current.client_secret_name);
      if (old !== changes.client_secret) changed.push("client_secret");
    }
    if (changes.refresh_token !== undefined) changed.push("refresh_token");
    return changed;
  }
}

/** The non-secret fields of a change, in the row's shape. */
function configFields(changes: ConnectionChanges): Partial<ConnectionRecord> {
  const fields: Partial<ConnectionRecord> = {};
  if (changes.client_id !== undefined) fields.client_id = changes.client_id;
  if (changes.authorization_url !== undefined) fields.authorization_url = changes.authorization_url;
  if (changes.token_url !== undefined) fields.token_url = changes.token_url;
  if (changes.scopes !== undefined) fields.scopes = changes.scopes.join(",");
  if (changes.token_auth_method !== undefined) fields.token_auth_method = changes.token_auth_method;
  if (changes.use_pkce !== undefined) fields.use_pkce = changes.use_pkce;
  if (changes.authorization_params !== undefined) fields.authorization_params = changes.authorization_params;
  if (changes.token_params !== undefined) fields.token_params = changes.token_params;
  if (changes.test_url !== undefined) fields.test_url = changes.test_url ?? undefined;
  if (changes.issuer !== undefined) fields.issuer = changes.issuer ?? undefined;
  return fields;
}

function flowProblem(current: ConnectionRecord, changes: ConnectionChanges): { field: string; message: string } | undefined {
  if (changes.refresh_token !== undefined && current.oauth_flow_type !== "refresh_token") {
    return { field: "refresh_token", message: "is only accepted for refresh_token connections" };
  }
  return undefined;
}
