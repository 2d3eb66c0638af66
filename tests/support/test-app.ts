import { randomBytes } from "node:crypto";
import { MockAgent, type Dispatcher as HttpDispatcher } from "undici";
import { inject } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { httpRoutes, timerRoutes } from "../../src/functions/route-table.js";
import type { TimerRoute } from "../../src/functions/route.js";
import { createDispatcher, type Dispatcher } from "../../src/local/dispatcher.js";
import { createMemoryLogger } from "../../src/logger.js";
import { createAppServices, type AppServices } from "../../src/services/app-services.js";
import { GLOBAL_ORG, loadSettings } from "../../src/settings.js";
import type { ApiKeyRole } from "../../src/storage/api-key-repository.js";
import type { Telemetry } from "../../src/telemetry/telemetry.js";

export const PUBLIC_BASE_URL = "https://oauth-helper.example.test";

export interface CallOptions {
  key?: string | null;
  org?: string;
  body?: unknown;
  /** A raw body, sent as is (for invalid JSON and size tests). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface TestApp {
  services: AppServices;
  tablePrefix: string;
  dispatcher: Dispatcher;
  clock: ManualClock;
  adminKey: string;
  logLines: string[];
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  issueKey(role: ApiKeyRole, orgId: string, name?: string): Promise<string>;
  /** A unique secret value for this file; every response and log line is later scanned for it. */
  secret(label: string): string;
  /** Adds a value seen elsewhere (an authorization code, a token) to those scanned for. */
  watch(value: string): void;
  /** Every response body, response header value and log line seen so far that contains a secret. */
  leaks(): string[];
}

/**
 * The app in-process, through the same route table and dispatcher the embedded host uses, on the
 * run's shared Azurite with tables of its own (a fresh prefix).
 */
export async function createTestApp(
  options: {
    env?: Record<string, string>;
    timers?: TimerRoute[];
    httpDispatcher?: HttpDispatcher;
    sleep?: (ms: number) => Promise<void>;
    providerTimeoutMs?: number;
    /** Share the tables of another test app (a second instance of the service). */
    tablePrefix?: string;
    telemetry?: Telemetry;
  } = {},
): Promise<TestApp> {
  const logger = createMemoryLogger();
  const clock = new ManualClock(new Date());
  const settings = loadSettings({
    AzureWebJobsStorage: inject("storageConnectionString"),
    LOCAL_SECRET_KEY: randomBytes(32).toString("base64"),
    OAUTH_PUBLIC_BASE_URL: PUBLIC_BASE_URL,
    ...options.env,
  });
  const tablePrefix = options.tablePrefix ?? `t${randomBytes(6).toString("hex")}`;
  const services = await createAppServices(settings, {
    logger,
    clock,
    tablePrefix,
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
    // No test reaches the internet: without a dispatcher of its own, every provider request fails fast.
    httpDispatcher: options.httpDispatcher ?? offlineAgent(),
    sleep: options.sleep ?? (async () => {}),
    ...(options.providerTimeoutMs === undefined ? {} : { providerTimeoutMs: options.providerTimeoutMs }),
  });
  const dispatcher = createDispatcher({ httpRoutes, timerRoutes: options.timers ?? timerRoutes, services });
  const secrets = new Set<string>();
  const outputs: string[] = [];
  const workflowKeys = new Set<string>();

  const issueKey = async (role: ApiKeyRole, orgId: string, name = `${role}-${orgId}`) => {
    const issued = await services.apiKeys.issue({ name, role, org_id: orgId }, "test-setup");
    secrets.add(issued.key);
    if (role === "workflow") workflowKeys.add(issued.key);
    return issued.key;
  };
  const adminKey = await issueKey("admin", GLOBAL_ORG, "global-admin");

  const call = async (method: string, path: string, callOptions: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...callOptions.headers };
    const key = callOptions.key === undefined ? adminKey : callOptions.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (callOptions.org !== undefined) headers["x-organization-id"] = callOptions.org;
    let body: Uint8Array | undefined;
    const raw = callOptions.rawBody ?? (callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body));
    if (raw !== undefined) {
      body = new TextEncoder().encode(raw);
      headers["content-type"] ??= "application/json";
      headers["content-length"] ??= String(body.byteLength);
    }
    const response = await dispatcher.dispatch({ method, url: `http://localhost${path}`, headers, ...(body ? { body } : {}) });
    const text = new TextDecoder().decode(response.body);
    // The credentials route is the one place an access token may leave the service; the rest of its body may not leak.
    const allowed = path.startsWith("/api/oauth/credentials/") && response.status === 200;
    // The other place: a workflow key reading a secret_ref config value; again only that value is exempt.
    const configSecret = method === "GET" && path.startsWith("/api/config/") && response.status === 200 && key !== null && workflowKeys.has(key);
    const scanned = allowed ? { ...JSON.parse(text), access_token: "(allowed here)" } : configSecret ? { ...JSON.parse(text), value: "(allowed here)" } : undefined;
    outputs.push(scanned === undefined ? text : JSON.stringify(scanned), ...[...response.headers.values()]);
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };

  return {
    services,
    tablePrefix,
    dispatcher,
    clock,
    adminKey,
    logLines: logger.lines,
    call,
    issueKey,
    secret: (label) => {
      const value = `${label}-${randomBytes(12).toString("hex")}`;
      secrets.add(value);
      return value;
    },
    watch: (value) => {
      secrets.add(value);
    },
    leaks: () => [...outputs, ...logger.lines].filter((text) => [...secrets].some((secret) => text.includes(secret))),
  };
}

function offlineAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}
