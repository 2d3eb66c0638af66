import type { Clock } from "../clock.js";
import { buildAuthorizationUrl, createPkcePair } from "../oauth/authorization-url.js";
import { generateState, hashState, openWithState, sealWithState } from "../oauth/state-seal.js";
import type { TokenClient, TokenGrant } from "../oauth/token-client.js";
import { describeTokenFailure, type TokenFailure } from "../oauth/token-failure.js";
import type { ConnectionRecord, ConnectionStatus } from "../storage/connection-repository.js";
import type { StateRepository } from "../storage/state-repository.js";
import type { AuditLog } from "./audit-log.js";
import type { ConnectionStore } from "./connection-store.js";
import type { ConnectionTester, TestResult } from "./connection-tester.js";
import { redirectUriFor } from "./redirect-uri.js";
import { fail, ok, type Result } from "./result.js";
import { splitScopes, type TokenService } from "./token-service.js";

export interface AuthorizationStart {
  authorization_url: string;
  state: string;
  expires_at: string;
}

/** What the callback page (or the redirect to OAUTH_RETURN_URL) reports. */
export interface CallbackOutcome {
  connection_name: string;
  /** Undefined when the state was not valid: nothing was touched. */
  status: ConnectionStatus | undefined;
  state_valid: boolean;
  message: string;
}

export interface AuthorizationDependencies {
  store: ConnectionStore;
  states: StateRepository;
  tokens: TokenService;
  tokenClient: TokenClient;
  tester: ConnectionTester;
  audit: AuditLog;
  clock: Clock;
  settings: { publicBaseUrl: string; stateTtlMinutes: number };
}

const UNKNOWN_ORG = "(unknown)";

/** The authorization-code flow (RFC 6749 §4.1 with PKCE, RFC 7636) and the first token of the other flows. */
export class AuthorizationService {
  constructor(private readonly deps: AuthorizationDependencies) {}

  /** Issues a single-use state and the provider URL to send the admin's browser to. */
  async start(orgId: string, name: string, actor: string): Promise<Result<AuthorizationStart>> {
    const { store, states, clock, settings, audit } = this.deps;
    const record = await store.get(orgId, name);
    if (record === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    if (record.oauth_flow_type !== "authorization_code" || record.authorization_url === undefined) {
      return fail("authorization_not_applicable", `${record.oauth_flow_type} connections get their tokens without a browser; there is nothing to authorize`);
    }
    const state = generateState();
    const pkce = record.use_pkce ? await createPkcePair() : undefined;
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + settings.stateTtlMinutes * 60_000).toISOString();
    const redirectUri = redirectUriFor(settings, name);
    await states.create({
      state_hash: hashState(state),
      org_id: orgId,
      connection_name: name,
      redirect_uri: redirectUri,
      sealed_code_verifier: pkce === undefined ? undefined : sealWithState(state, pkce.verifier),
      created_at: now.toISOString(),
      expires_at: expiresAt,
    });
    await store.update(orgId, name, (current) => ({
      ...current,
      status: "waiting_callback",
      status_message: `Waiting for the provider to call back (until ${expiresAt})`,
      // A second authorize keeps the status from before the first, so cancel goes back to it.
      previous_status: current.status === "waiting_callback" ? current.previous_status : current.status,
      previous_status_message: current.status === "waiting_callback" ? current.previous_status_message : current.status_message,
      updated_at: now.toISOString(),
      updated_by: actor,
    }));
    await audit.record({ org_id: orgId, connection_name: name, event_type: "authorization_started", actor, details: { use_pkce: record.use_pkce, expires_at: expiresAt } });
    const authorizationUrl = buildAuthorizationUrl(
      { authorization_url: record.authorization_url, client_id: record.client_id, redirect_uri: redirectUri, scopes: splitScopes(record.scopes), state, authorization_params: record.authorization_params },
      pkce?.challenge,
    );
    return ok({ authorization_url: authorizationUrl, state, expires_at: expiresAt });
  }

  /** Abandons pending authorizations: their states stop working and the status goes back. */
  async cancel(orgId: string, name: string, actor: string): Promise<Result<ConnectionRecord>> {
    const { store, states, clock, audit } = this.deps;
    if ((await store.get(orgId, name)) === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    const cancelled = await states.deleteForConnection(orgId, name);
    const record = await store.update(orgId, name, (current) =>
      current.status !== "waiting_callback"
        ? undefined
        : {
            ...current,
            status: current.previous_status ?? "not_connected",
            status_message: current.previous_status_message,
            previous_status: undefined,
            previous_status_message: undefined,
            updated_at: clock.now().toISOString(),
            updated_by: actor,
          },
    );
    if (record === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    await audit.record({ org_id: orgId, connection_name: name, event_type: "authorization_cancelled", actor, details: { pending_states: cancelled, status: record.status } });
    return ok(record);
  }

  /** Handles the provider's redirect (RFC 6749 §4.1.2): state, issuer, code exchange, test. */
  async callback(name: string, parameters: URLSearchParams): Promise<CallbackOutcome> {
    const started = Date.now();
    const state = parameters.get("state") ?? "";
    const pending = state === "" ? undefined : await this.#takeState(name, state);
    if (pending === undefined || !pending.ok) {
      const message = pending?.error.message ?? "The authorization request is unknown or was already used. Start the connection again.";
      await this.#auditCallback(UNKNOWN_ORG, name, started, { state_valid: false, exchange_success: false, test_result: null, final_status: null, reason: message });
      return { connection_name: name, status: undefined, state_valid: false, message };
    }
    const { org_id: orgId, redirect_uri: redirectUri, sealed_code_verifier: sealed } = pending.value;
    const record = await this.deps.store.get(orgId, name);
    if (record === undefined) {
      const message = "The connection was deleted while it was being authorized.";
      await this.#auditCallback(orgId, name, started, { state_valid: true, exchange_success: false, test_result: null, final_status: null, reason: message });
      return { connection_name: name, status: undefined, state_valid: true, message };
    }

    const config = await this.deps.tokens.endpointConfig(record);
    const validated = this.deps.tokenClient.validateCallback(config, parameters, state);
    if (!validated.ok) {
      const message = providerRefusal(validated.failure);
      const final = await this.#finish(record, "failed", message, "authorization");
      await this.#auditCallback(orgId, name, started, { state_valid: true, exchange_success: false, test_result: null, final_status: final, error: validated.failure.error });
      return { connection_name: name, status: final, state_valid: true, message };
    }
    const verifier = sealed === undefined ? undefined : openWithState(state, sealed);
    const exchanged = await this.deps.tokenClient.exchangeCode(config, validated.callback, redirectUri, verifier);
    if (!exchanged.ok) {
      const message = describeTokenFailure(exchanged.failure);
      const final = await this.#finish(record, "failed", message, "authorization");
      await this.#auditCallback(orgId, name, started, { state_valid: true, exchange_success: false, test_result: null, final_status: final, error: exchanged.failure.error });
      return { connection_name: name, status: final, state_valid: true, message };
    }
    const connected = await this.#storeAndTest(record, exchanged.grant, "authorization");
    await this.#auditCallback(orgId, name, started, { state_valid: true, exchange_success: true, test_result: connected.test_result, final_status: connected.status });
    return { connection_name: name, status: connected.status, state_valid: true, message: connected.message };
  }

  /** client_credentials and refresh_token connections: the first token, right after creation. */
  async connectWithoutBrowser(record: ConnectionRecord, actor: string): Promise<ConnectionRecord> {
    await this.deps.store.update(record.org_id, record.connection_name, (current) => ({ ...current, status: "testing", status_message: "Requesting the first token" }));
    let outcome: Awaited<ReturnType<TokenService["requestGrant"]>>;
    try {
      outcome = await this.deps.tokens.requestGrant(record);
    } catch (error) {
      // An outage or a bug must not leave the connection claiming to be "testing" forever.
      await this.#finish(record, "failed", "Requesting the first token failed unexpectedly; see the service log, then reconnect", actor);
      throw error;
    }
    let final: ConnectionStatus;
    let testResult: TestResult | null = null;
    if (outcome.ok) {
      const connected = await this.#storeAndTest(record, outcome.grant, actor);
      final = connected.status;
      testResult = connected.test_result;
    } else {
      final = await this.#finish(record, "failed", describeTokenFailure(outcome.failure), actor);
    }
    await this.deps.audit.record({
      org_id: record.org_id,
      connection_name: record.connection_name,
      event_type: "initial_token",
      actor,
      details: { oauth_flow_type: record.oauth_flow_type, exchange_success: outcome.ok, test_result: testResult, final_status: final, ...(outcome.ok ? {} : { error: outcome.failure.error }) },
    });
    return (await this.deps.store.get(record.org_id, record.connection_name)) ?? record;
  }

  /** Reads and consumes the state; a state of another connection is left alone, so it still works there. */
  async #takeState(name: string, state: string) {
    const hash = hashState(state);
    const found = await this.deps.states.get(hash);
    if (found === undefined) return undefined;
    if (found.record.connection_name !== name) return fail("invalid_state", "The authorization request was issued for another connection.");
    if (!(await this.deps.states.consume(hash, found.etag))) return undefined;
    if (Date.parse(found.record.expires_at) <= this.deps.clock.now().getTime()) {
      return fail("invalid_state", "The authorization request expired. Start the connection again.");
    }
    return ok(found.record);
  }

  async #storeAndTest(record: ConnectionRecord, grant: TokenGrant, actor: string) {
    const stored = await this.deps.tokens.storeGrant(record, grant, () => ({ status: "testing", status_message: "Testing the new token" }));
    const test = await this.deps.tester.test(stored.record ?? record, stored.tokens);
    const status: ConnectionStatus = test.result === "failed" ? "failed" : "completed";
    const message = test.result === "failed" ? `Connected, but the token test failed: ${test.message}` : `Connected. ${test.result === "success" ? test.message : "Token test skipped."}`;
    await this.#finish(record, status, message, actor, { last_test_at: this.deps.clock.now().toISOString() });
    return { status, message, test_result: test.result };
  }

  async #finish(record: ConnectionRecord, status: ConnectionStatus, message: string, actor: string, extra: Partial<ConnectionRecord> = {}): Promise<ConnectionStatus> {
    const now = this.deps.clock.now().toISOString();
    await this.deps.store.update(record.org_id, record.connection_name, (current) => ({
      ...current,
      ...extra,
      status,
      status_message: message,
      previous_status: undefined,
      previous_status_message: undefined,
      updated_at: now,
      updated_by: actor,
    }));
    return status;
  }

  async #auditCallback(orgId: string, name: string, started: number, details: Record<string, unknown>): Promise<void> {
    await this.deps.audit.record({
      org_id: orgId,
      connection_name: name,
      event_type: "callback",
      actor: "provider-callback",
      details: { ...details, processing_duration_ms: Date.now() - started },
    });
  }
}

function providerRefusal(failure: TokenFailure): string {
  if (failure.error === "invalid_response") return `The authorization response was not acceptable: ${failure.description}`;
  const description = failure.description === "" ? "" : `: ${failure.description.slice(0, 300)}`;
  return `The provider refused the authorization (${failure.error})${description}`;
}
