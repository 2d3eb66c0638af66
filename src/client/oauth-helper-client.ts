import { configFromBody, type ConfigValue } from "./config-value.js";
import { copyToken, tokenFromBody, type OAuthConnectionToken } from "./connection-token.js";
import { errorFromAnswer } from "./error-mapping.js";
import { WorkflowDisabledError } from "./errors.js";
import { apiUrlFrom, sendServiceRequest, type ServiceAnswer, type ServiceRequest, type ServiceTarget } from "./service-http.js";

/** Options of {@link OAuthHelperClient}. */
export interface OAuthHelperClientOptions {
  /** The service's URL, with or without a trailing `/` or `/api`. */
  baseUrl: string;
  /** A workflow API key (`npm run keys -- create --role workflow ...`). */
  apiKey: string;
  /** The org to act on (`X-Organization-Id`); absent: the key's own org. */
  orgId?: string;
  /** Sent as `X-Workflow-Id` so the service records which connections this workflow depends on. */
  workflowId?: string;
  /** Sent as `X-Workflow-Name`, for people reading the dependency list. */
  workflowName?: string;
  fetch?: typeof fetch;
  /** A cached token is reused until this many seconds before it expires (default 60). */
  refreshMarginSeconds?: number;
  /** Milliseconds since the epoch; tests inject their own clock. */
  now?: () => number;
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
}

/** Typed client of the OAuth Helper service for workflow code: current access tokens by connection name, cached per client. */
export class OAuthHelperClient {
  readonly #target: ServiceTarget;
  readonly #apiKey: string;
  readonly #orgId: string | undefined;
  readonly #workflowId: string | undefined;
  readonly #workflowName: string | undefined;
  readonly #marginMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, OAuthConnectionToken>();
  readonly #inFlight = new Map<string, Promise<OAuthConnectionToken>>();

  constructor(options: OAuthHelperClientOptions) {
    if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") throw new TypeError("apiKey is required");
    const refreshMarginSeconds = options.refreshMarginSeconds ?? 60;
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(refreshMarginSeconds) || refreshMarginSeconds < 0) {
      throw new TypeError("refreshMarginSeconds must be a number >= 0");
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError("timeoutMs must be a number > 0");
    assertHeaderValue("apiKey", options.apiKey);
    assertHeaderValue("orgId", options.orgId);
    assertHeaderValue("workflowId", options.workflowId);
    assertHeaderValue("workflowName", options.workflowName);

    this.#apiKey = options.apiKey;
    this.#orgId = options.orgId;
    this.#workflowId = options.workflowId;
    this.#workflowName = options.workflowName;
    this.#marginMs = refreshMarginSeconds * 1000;
    this.#now = options.now ?? Date.now;
    this.#target = {
      apiUrl: apiUrlFrom(options.baseUrl),
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs,
      secrets: [options.apiKey],
    };
  }

  /** A current access token of the connection: from the cache while it is far enough from expiry, else from the service (which refreshes it). */
  async getOAuthConnection(name: string): Promise<OAuthConnectionToken> {
    assertConnectionName(name);
    const cached = this.#cache.get(name);
    if (cached !== undefined && cached.expiresAt.getTime() - this.#marginMs > this.#now()) {
      return copyToken(cached);
    }
    const pending = this.#inFlight.get(name);
    if (pending !== undefined) return pending.then(copyToken);

    const request: Promise<OAuthConnectionToken> = this.#fetchToken(name)
      .then((token) => {
        // Only the request still registered may fill the cache: invalidate() during the flight wins.
        if (this.#inFlight.get(name) === request) this.#cache.set(name, token);
        return token;
      })
      .finally(() => {
        if (this.#inFlight.get(name) === request) this.#inFlight.delete(name);
      });
    this.#inFlight.set(name, request);
    return request.then(copyToken);
  }

  /** Records that this client's workflow uses the connection (`POST /api/oauth/workflows/{id}/dependencies`; idempotent). */
  async registerDependency(name: string): Promise<void> {
    assertConnectionName(name);
    const workflowId = this.#workflowId;
    if (workflowId === undefined) {
      throw new Error("registerDependency needs the workflowId option: pass it to new OAuthHelperClient({ workflowId, ... })");
    }
    const body: { connection_name: string; workflow_name?: string } = { connection_name: name };
    if (this.#workflowName !== undefined) body.workflow_name = this.#workflowName;
    await this.#send(name, {
      method: "POST",
      path: `/oauth/workflows/${encodeURIComponent(workflowId)}/dependencies`,
      headers: this.#commonHeaders(),
      body,
      retryNetworkError: false,
    });
  }

  /** Throws WorkflowDisabledError (with the reason) when this client's workflow has been disabled. */
  async assertWorkflowEnabled(): Promise<void> {
    const workflowId = this.#workflowId;
    if (workflowId === undefined) {
      throw new Error("assertWorkflowEnabled needs the workflowId option: pass it to new OAuthHelperClient({ workflowId, ... })");
    }
    const request: ServiceRequest = { method: "GET", path: `/oauth/workflows/${encodeURIComponent(workflowId)}/status`, headers: this.#commonHeaders(), retryNetworkError: true };
    const answer = await sendServiceRequest(this.#target, request);
    if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer, { workflowId, secrets: this.#target.secrets });
    const status = answer.body as { is_disabled?: unknown; disabled_reason?: unknown } | undefined;
    if (status?.is_disabled === true) {
      const reason = typeof status.disabled_reason === "string" ? status.disabled_reason : null;
      throw new WorkflowDisabledError(workflowId, answer.status, `Workflow ${workflowId} is disabled${reason ? ` (${reason})` : ""}`, reason);
    }
  }

  /** A config value by key (the org's, else GLOBAL's), typed; a `secret_ref` comes back as the secret itself. Not cached: config changes show at once. */
  async getConfig(key: string): Promise<ConfigValue> {
    if (typeof key !== "string" || key === "") throw new TypeError("a config key is required");
    const request: ServiceRequest = { method: "GET", path: `/config/${encodeURIComponent(key)}`, headers: this.#commonHeaders(), retryNetworkError: true };
    const answer = await sendServiceRequest(this.#target, request);
    if (answer.status >= 200 && answer.status < 300) return configFromBody(answer.body, answer.status);
    throw errorFromAnswer(answer, { configKey: key, workflowId: this.#workflowId, secrets: this.#target.secrets });
  }

  /** Drops the cached token of one connection, or of all; the next read asks the service. */
  invalidate(name?: string): void {
    if (name === undefined) {
      this.#cache.clear();
      this.#inFlight.clear();
      return;
    }
    this.#cache.delete(name);
    this.#inFlight.delete(name);
  }

  async #fetchToken(name: string): Promise<OAuthConnectionToken> {
    const headers = this.#commonHeaders();
    if (this.#workflowId !== undefined) headers["x-workflow-id"] = this.#workflowId;
    if (this.#workflowName !== undefined) headers["x-workflow-name"] = this.#workflowName;
    const answer = await this.#send(name, {
      method: "GET",
      path: `/oauth/credentials/${encodeURIComponent(name)}`,
      headers,
      retryNetworkError: true,
    });
    return tokenFromBody(answer.body, answer.status);
  }

  /** Sends a request and throws the typed error for any non-2xx answer. */
  async #send(name: string, request: ServiceRequest): Promise<ServiceAnswer> {
    const answer = await sendServiceRequest(this.#target, request);
    if (answer.status >= 200 && answer.status < 300) return answer;
    throw errorFromAnswer(answer, { connectionName: name, workflowId: this.#workflowId, secrets: this.#target.secrets });
  }

  #commonHeaders(): Record<string, string> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#apiKey}` };
    if (this.#orgId !== undefined) headers["x-organization-id"] = this.#orgId;
    return headers;
  }
}

function assertConnectionName(name: string): void {
  if (typeof name !== "string" || name === "") throw new TypeError("a connection name is required");
}

// fetch rejects header values outside Latin-1 only when sending, which would surface as a misleading network_error.
function assertHeaderValue(option: string, value: string | undefined): void {
  if (value !== undefined && !/^[\x20-\x7E]*$/.test(value)) {
    throw new TypeError(`${option} must be printable ASCII: it is sent in an HTTP header`);
  }
}
