import { setTimeout as realSleep } from "node:timers/promises";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { ConnectionRecord } from "../storage/connection-repository.js";
import type { Caller } from "./access.js";
import type { AuditLog } from "./audit-log.js";
import type { ConnectionService } from "./connection-service.js";
import { fail, ok, type Result } from "./result.js";
import type { TokenRefreshService } from "./token-refresh-service.js";
import type { StoredTokenSet, TokenService } from "./token-service.js";
import type { WorkflowDependencyService, WorkflowRef } from "./workflow-dependency-service.js";
import type { WorkflowService } from "./workflow-service.js";

/** What a workflow gets: a current access token (DESIGN §5). */
export interface Credentials {
  connection_name: string;
  org_id: string;
  access_token: string;
  token_type: string;
  expires_at: string;
  scopes: string[];
}

const AUDIT_RESOLUTION_MS = 60 * 60 * 1000;
const WAIT_STEP_MS = 200;

/** Credentials for workflows: org → GLOBAL lookup, refresh on read, dependency tracking. */
export class CredentialsService {
  readonly #auditedReads = new Map<string, number>();

  constructor(
    private readonly deps: {
      connections: ConnectionService;
      tokens: TokenService;
      refresh: TokenRefreshService;
      dependencies: WorkflowDependencyService;
      workflows: WorkflowService;
      audit: AuditLog;
      logger: Logger;
      clock: Clock;
      settings: { refreshOnReadSeconds: number };
      /** How long to wait for another instance's refresh when the current token has expired. */
      waitForOtherRefreshMs?: number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  async read(orgId: string, name: string, caller: Caller, workflow: WorkflowRef | undefined): Promise<Result<Credentials>> {
    const [found, state] = await Promise.all([
      this.deps.connections.get(orgId, name),
      workflow === undefined ? undefined : this.deps.workflows.status(workflow.org_id, workflow.workflow_id),
    ]);
    if (state?.is_disabled === true) {
      return fail("workflow_disabled", `Workflow ${state.workflow_id} is disabled (${state.disabled_reason ?? "manual"}); an admin can enable it again`, {
        workflow_id: state.workflow_id,
        disabled_reason: state.disabled_reason ?? null,
        related_oauth_connection: state.related_oauth_connection ?? null,
      });
    }
    if (!found.ok) return found;
    const connection = found.value;
    if (connection.status !== "completed") return notReady(connection);
    const current = await this.#current(connection, caller);
    if (!current.ok) return current;
    if (workflow !== undefined) await this.deps.dependencies.recordAccess(workflow, current.value.record);
    await this.#auditRead(current.value.record, caller, workflow);
    return ok(toCredentials(current.value.record, current.value.tokens));
  }

  /** The stored token, refreshed first when it expires within OAUTH_REFRESH_ON_READ_SECONDS. */
  async #current(record: ConnectionRecord, caller: Caller): Promise<Result<{ record: ConnectionRecord; tokens: StoredTokenSet }>> {
    const tokens = await this.deps.tokens.readTokens(record);
    if (tokens?.access_token === undefined || tokens.expires_at === undefined) return notReady(record, "No access token is stored for this connection");
    const now = this.deps.clock.now().getTime();
    const remainingMs = Date.parse(tokens.expires_at) - now;
    if (remainingMs > this.deps.settings.refreshOnReadSeconds * 1000) return ok({ record, tokens });

    const stillValid = () => ok({ record, tokens });
    const outcome = await this.deps.refresh.refresh({
      orgId: record.org_id,
      name: record.connection_name,
      observedVersion: record.tokens_version,
      trigger: "read",
      actor: caller.name,
    });
    switch (outcome.kind) {
      case "refreshed":
        return ok({ record: outcome.record, tokens: outcome.tokens });
      case "already_refreshed":
        return this.#usable(outcome.record);
      case "busy":
        return remainingMs > 0 ? stillValid() : this.#usable(await this.#waitForOtherRefresh(outcome.record));
      case "cooling_down":
      case "not_refreshable":
        return remainingMs > 0 ? stillValid() : notReady(outcome.record, expiredMessage(outcome));
      case "failed":
        // A provider hiccup must not break workflows while the token they have still works.
        if (remainingMs > 0 && outcome.record.status === "completed") return stillValid();
        return notReady(outcome.record);
      case "missing":
        return fail("connection_not_found", `The connection ${record.connection_name} was deleted`);
    }
  }

  async #usable(record: ConnectionRecord): Promise<Result<{ record: ConnectionRecord; tokens: StoredTokenSet }>> {
    if (record.status !== "completed") return notReady(record);
    const tokens = await this.deps.tokens.readTokens(record);
    if (tokens?.access_token !== undefined && tokens.expires_at !== undefined && Date.parse(tokens.expires_at) > this.deps.clock.now().getTime()) {
      return ok({ record, tokens });
    }
    return notReady(record, "The access token has expired and could not be refreshed yet; try again shortly");
  }

  /** Another instance is refreshing: wait (bounded) until its new token set lands or its lease ends. */
  async #waitForOtherRefresh(record: ConnectionRecord): Promise<ConnectionRecord> {
    const sleep = this.deps.sleep ?? ((ms: number) => realSleep(ms));
    const steps = Math.ceil((this.deps.waitForOtherRefreshMs ?? 15_000) / WAIT_STEP_MS);
    let current = record;
    for (let step = 0; step < steps; step++) {
      await sleep(WAIT_STEP_MS);
      const reread = await this.deps.connections.get(record.org_id, record.connection_name);
      if (!reread.ok) return current;
      current = reread.value;
      if (current.tokens_version !== record.tokens_version || current.lease_owner === undefined) return current;
    }
    return current;
  }

  // Every read is logged; the audit table gets one event per key and connection per hour, not a write per read.
  async #auditRead(record: ConnectionRecord, caller: Caller, workflow: WorkflowRef | undefined): Promise<void> {
    const details = { key_id: caller.key_id, workflow_id: workflow?.workflow_id ?? null };
    this.deps.logger.info("credentials read", { org_id: record.org_id, connection_name: record.connection_name, actor: caller.name, ...details });
    const key = `${caller.key_id}|${workflow?.workflow_id ?? ""}|${record.org_id}|${record.connection_name}`;
    const now = this.deps.clock.now().getTime();
    const last = this.#auditedReads.get(key);
    if (last !== undefined && now - last < AUDIT_RESOLUTION_MS) return;
    if (this.#auditedReads.size >= 50_000) this.#auditedReads.clear();
    this.#auditedReads.set(key, now);
    await this.deps.audit.record({ org_id: record.org_id, connection_name: record.connection_name, event_type: "credentials_read", actor: caller.name, details });
  }
}

function expiredMessage(outcome: { kind: "cooling_down"; until: string } | { kind: "not_refreshable" }): string {
  return outcome.kind === "cooling_down"
    ? `The access token has expired; the last refresh failed and the next attempt is after ${outcome.until}`
    : "The access token has expired and the connection has no refresh token; reconnect it";
}

function toCredentials(record: ConnectionRecord, tokens: StoredTokenSet): Credentials {
  return {
    connection_name: record.connection_name,
    org_id: record.org_id,
    access_token: tokens.access_token!,
    token_type: tokens.token_type ?? "Bearer",
    expires_at: tokens.expires_at!,
    scopes: tokens.scopes ?? [],
  };
}

function notReady(record: ConnectionRecord, message?: string) {
  return fail("connection_not_ready", message ?? `The connection ${record.connection_name} is ${record.status}${record.status_message ? `: ${record.status_message}` : ""}`, {
    status: record.status,
    status_message: record.status_message ?? null,
  });
}
