import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { describeTokenFailure, type TokenFailure } from "../oauth/token-failure.js";
import type { ConnectionRecord, ConnectionRepository } from "../storage/connection-repository.js";
import type { AuditLog } from "./audit-log.js";
import type { ConnectionStore } from "./connection-store.js";
import { fail, ok, type Result } from "./result.js";
import type { StoredTokenSet, TokenService } from "./token-service.js";

export type RefreshTrigger = "read" | "timer" | "manual";

export type RefreshOutcome =
  | { kind: "refreshed"; record: ConnectionRecord; tokens: StoredTokenSet }
  /** Someone else refreshed since the caller looked: nothing was asked of the provider. */
  | { kind: "already_refreshed"; record: ConnectionRecord }
  | { kind: "failed"; record: ConnectionRecord; failure: TokenFailure }
  /** Another instance holds the lease and it has not expired. */
  | { kind: "busy"; record: ConnectionRecord }
  /** A recent failure: no new attempt before `until` (no retry storms against a struggling provider). */
  | { kind: "cooling_down"; record: ConnectionRecord; until: string }
  /** Nothing to refresh with: an authorization-code connection that never got a refresh token. */
  | { kind: "not_refreshable"; record: ConnectionRecord }
  | { kind: "missing" };

export interface RefreshRequest {
  orgId: string;
  name: string;
  /** The tokens_version the caller saw; if the row moved on, the refresh already happened. */
  observedVersion: string | undefined;
  trigger: RefreshTrigger;
  actor: string;
  /** An admin's forced refresh ignores the backoff and refreshes even a fresh token. */
  force?: boolean;
}

/** Long enough for a token request with its retries; a crashed holder blocks others at most this long. */
export const DEFAULT_LEASE_MS = 60_000;
const FIRST_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 30 * 60_000;

/** How long to leave a connection alone after its n-th consecutive transient failure. */
export const refreshBackoffMs = (failures: number) => Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, failures - 1), MAX_BACKOFF_MS);

/** Whether a connection has anything to refresh with. */
export const isRefreshable = (record: ConnectionRecord) => record.oauth_flow_type === "client_credentials" || record.refresh_token_set;

/**
 * The one refresh code path (DESIGN §6), for reads, the timer and manual refreshes. One refresh per
 * connection at a time: single-flight inside the process, a lease on the row (ETag-conditioned,
 * with expiry) across processes. The new token set is stored before the lease is released.
 */
export class TokenRefreshService {
  readonly #inFlight = new Map<string, Promise<RefreshOutcome>>();
  /** This process's lease identity. */
  readonly owner = `instance-${randomUUID()}`;

  constructor(
    private readonly deps: {
      connections: ConnectionRepository;
      store: ConnectionStore;
      tokens: TokenService;
      audit: AuditLog;
      logger: Logger;
      clock: Clock;
      leaseMs?: number;
    },
  ) {}

  refresh(request: RefreshRequest): Promise<RefreshOutcome> {
    const key = `${request.orgId}|${request.name}`;
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const started = this.#refreshOnce(request).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** An admin's "refresh now": forced, and every outcome turned into a result the API can answer with. */
  async refreshNow(orgId: string, name: string, actor: string): Promise<Result<ConnectionRecord>> {
    const current = await this.deps.connections.get(orgId, name);
    if (current === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    const outcome = await this.refresh({ orgId, name, observedVersion: current.record.tokens_version, trigger: "manual", actor, force: true });
    switch (outcome.kind) {
      case "refreshed":
      case "already_refreshed":
        return ok(outcome.record);
      case "failed":
        return fail("provider_refused", describeTokenFailure(outcome.failure), { provider_error: outcome.failure.error });
      case "not_refreshable":
        return fail("not_refreshable", "This connection has no refresh token (or is not connected); reconnect it instead");
      case "busy":
        return fail("refresh_in_progress", "Another instance is refreshing this connection right now; try again in a moment");
      case "cooling_down":
      case "missing":
        return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    }
  }

  async #refreshOnce(request: RefreshRequest): Promise<RefreshOutcome> {
    const leased = await this.#acquireLease(request);
    if (leased.kind !== "leased") return leased;
    const record = leased.record;
    // storeGrant clears the lease in the same write that stores the new token set.
    let released = false;
    try {
      // Re-read under the lease: another instance may have refreshed while we waited for it.
      if (record.tokens_version !== request.observedVersion && request.force !== true) return { kind: "already_refreshed", record };
      const outcome = await this.deps.tokens.requestGrant(record);
      if (outcome.ok) {
        const stored = await this.deps.tokens.storeGrant(record, outcome.grant, () => ({
          status: "completed",
          status_message: `Token refreshed (${request.trigger})`,
          lease_owner: undefined,
          lease_expires_at: undefined,
          refresh_failures: undefined,
          next_refresh_attempt_at: undefined,
        }));
        released = true;
        await this.#audit(request, { refreshed: true });
        if (stored.record === undefined) return { kind: "missing" };
        return { kind: "refreshed", record: stored.record, tokens: stored.tokens };
      }
      const failed = await this.#recordFailure(record, outcome.failure);
      await this.#audit(request, { refreshed: false, error: outcome.failure.error, permanent: outcome.failure.permanent });
      return failed === undefined ? { kind: "missing" } : { kind: "failed", record: failed, failure: outcome.failure };
    } finally {
      if (!released) await this.#releaseLease(request.orgId, request.name);
    }
  }

  async #acquireLease(request: RefreshRequest): Promise<{ kind: "leased"; record: ConnectionRecord } | Exclude<RefreshOutcome, { kind: "refreshed" | "failed" | "already_refreshed" }>> {
    const { orgId, name } = request;
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await this.deps.connections.get(orgId, name);
      if (stored === undefined) return { kind: "missing" };
      const now = this.deps.clock.now().getTime();
      if (!isRefreshable(stored.record)) return { kind: "not_refreshable", record: stored.record };
      const until = stored.record.next_refresh_attempt_at;
      if (request.force !== true && until !== undefined && Date.parse(until) > now) return { kind: "cooling_down", record: stored.record, until };
      const { lease_owner: holder, lease_expires_at: leaseEnd } = stored.record;
      if (holder !== undefined && holder !== this.owner && leaseEnd !== undefined && Date.parse(leaseEnd) > now) return { kind: "busy", record: stored.record };
      if (holder !== undefined && holder !== this.owner) {
        this.deps.logger.warn("taking over an expired refresh lease", { org_id: orgId, connection_name: name, previous_owner: holder, expired_at: leaseEnd });
      }
      const claimed: ConnectionRecord = {
        ...stored.record,
        lease_owner: this.owner,
        lease_expires_at: new Date(now + (this.deps.leaseMs ?? DEFAULT_LEASE_MS)).toISOString(),
      };
      if ((await this.deps.connections.replaceIfUnchanged(claimed, stored.etag)) !== undefined) return { kind: "leased", record: claimed };
    }
    const current = await this.deps.connections.get(orgId, name);
    return current === undefined ? { kind: "missing" } : { kind: "busy", record: current.record };
  }

  async #releaseLease(orgId: string, name: string): Promise<void> {
    await this.deps.store.update(orgId, name, (current) =>
      current.lease_owner !== this.owner ? undefined : { ...current, lease_owner: undefined, lease_expires_at: undefined },
    );
  }

  /** Permanent errors fail the connection; transient ones leave it usable while its token lasts. */
  async #recordFailure(record: ConnectionRecord, failure: TokenFailure): Promise<ConnectionRecord | undefined> {
    const message = describeTokenFailure(failure);
    const now = this.deps.clock.now();
    return this.deps.store.update(record.org_id, record.connection_name, (current) => {
      const expired = current.token_expires_at === undefined || Date.parse(current.token_expires_at) <= now.getTime();
      const fail = failure.permanent || expired;
      const failures = (current.refresh_failures ?? 0) + 1;
      const nextAttempt = new Date(now.getTime() + refreshBackoffMs(failures)).toISOString();
      return {
        ...current,
        status: fail ? "failed" : current.status,
        status_message: fail ? message : `Refresh failed (attempt ${failures}); the current token is still valid; next attempt after ${nextAttempt}. ${message}`,
        refresh_failures: failures,
        next_refresh_attempt_at: failure.permanent ? undefined : nextAttempt,
        updated_at: now.toISOString(),
      };
    });
  }

  async #audit(request: RefreshRequest, details: Record<string, unknown>): Promise<void> {
    await this.deps.audit.record({ org_id: request.orgId, connection_name: request.name, event_type: "token_refresh", actor: request.actor, details: { trigger: request.trigger, ...details } });
  }
}
