import { join } from "node:path";
import type { Dispatcher } from "undici";
import { systemClock, type Clock } from "../clock.js";
import { consoleLogger, type Logger } from "../logger.js";
import type { Settings } from "../settings.js";
import { createProviderFetch } from "../oauth/provider-fetch.js";
import { TokenClient } from "../oauth/token-client.js";
import { ApiKeyRepository } from "../storage/api-key-repository.js";
import { AuditRepository } from "../storage/audit-repository.js";
import { ConfigRepository } from "../storage/config-repository.js";
import { ConnectionRepository } from "../storage/connection-repository.js";
import { DependencyRepository } from "../storage/dependency-repository.js";
import { RefreshRunRepository, type RefreshRunRecord } from "../storage/refresh-run-repository.js";
import { LocalSecretStore, loadOrCreateKeyFile } from "../storage/local-secret-store.js";
import type { SecretStore } from "../storage/secret-store.js";
import { createTelemetry, type Telemetry } from "../telemetry/telemetry.js";
import { StateRepository } from "../storage/state-repository.js";
import { WorkflowStateRepository } from "../storage/workflow-state-repository.js";
import { createTableClients, ensureTables, pingStorage, type TableClients } from "../storage/tables.js";
import { ApiKeyService } from "./api-key-service.js";
import { AuditLog } from "./audit-log.js";
import { AuthorizationService } from "./authorization-service.js";
import { ConfigService } from "./config-service.js";
import { ConnectionService } from "./connection-service.js";
import { ConnectionStore } from "./connection-store.js";
import { ConnectionTestService } from "./connection-test-service.js";
import { ConnectionTester } from "./connection-tester.js";
import { CredentialsService } from "./credentials-service.js";
import { RefreshJob } from "./refresh-job.js";
import { TokenRefreshService } from "./token-refresh-service.js";
import { WorkflowDependencyService } from "./workflow-dependency-service.js";
import { WorkflowService } from "./workflow-service.js";
import { ConnectionDeletion } from "./connection-deletion.js";
import { ConnectionUpdate } from "./connection-update.js";
import { TokenService } from "./token-service.js";

/** Everything a handler needs, built once per process from the settings. */
export interface AppServices {
  settings: Settings;
  clock: Clock;
  logger: Logger;
  tables: TableClients;
  secrets: SecretStore;
  apiKeys: ApiKeyService;
  audit: AuditLog;
  connections: ConnectionService;
  authorization: AuthorizationService;
  tokens: TokenService;
  connectionTests: ConnectionTestService;
  refresh: TokenRefreshService;
  refreshJob: RefreshJob;
  refreshRuns: RefreshRunRepository;
  credentials: CredentialsService;
  dependencies: WorkflowDependencyService;
  workflows: WorkflowService;
  connectionUpdate: ConnectionUpdate;
  connectionDeletion: ConnectionDeletion;
  configs: ConfigService;
  telemetry: Telemetry;
  storageHealthy(): Promise<boolean>;
}

export interface AppServicesOptions {
  clock?: Clock;
  logger?: Logger;
  /** Prefix for table names, so several deployments or test files can share a storage account. */
  tablePrefix?: string;
  secrets?: SecretStore;
  /** The undici dispatcher for provider requests; tests inject faults with a MockAgent. */
  httpDispatcher?: Dispatcher;
  /** How retries wait; tests pass one that does not wait on real time. */
  sleep?: (ms: number) => Promise<void>;
  /** Telemetry to use instead of the one APPLICATIONINSIGHTS_CONNECTION_STRING selects. */
  telemetry?: Telemetry;
  /** Per-attempt timeout of provider requests (10 s by default). */
  providerTimeoutMs?: number;
}

/** Wires repositories and services; creates missing tables. */
export async function createAppServices(settings: Settings, options: AppServicesOptions = {}): Promise<AppServices> {
  if (settings.storageConnectionString === undefined) {
    throw new Error("AzureWebJobsStorage is not set (the embedded host sets it after starting Azurite)");
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? consoleLogger;
  const tables = createTableClients(settings.storageConnectionString, options.tablePrefix);
  await ensureTables(tables);
  const secrets = options.secrets ?? (await createSecretStore(settings, tables));
  const telemetry = options.telemetry ?? (await createTelemetry(settings.applicationInsightsConnectionString, logger));
  const audit = new AuditLog(new AuditRepository(tables.auditEvents), logger, clock, telemetry);
  const providerFetch = createProviderFetch({
    allowInsecureLoopback: settings.allowInsecureLoopback,
    ...(options.httpDispatcher === undefined ? {} : { dispatcher: options.httpDispatcher }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.providerTimeoutMs === undefined ? {} : { timeoutMs: options.providerTimeoutMs }),
    clock,
  });
  const connectionRepository = new ConnectionRepository(tables.connections);
  const store = new ConnectionStore(connectionRepository, new ConfigRepository(tables.config));
  const tokenClient = new TokenClient(providerFetch, settings.allowInsecureLoopback);
  const tokens = new TokenService(store, secrets, tokenClient, clock);
  const tester = new ConnectionTester(providerFetch);
  const states = new StateRepository(tables.states);
  const authorization = new AuthorizationService({
    store,
    states,
    tokens,
    tokenClient,
    tester,
    audit,
    clock,
    settings,
  });
  const connections = new ConnectionService(store, secrets, authorization, audit, clock);
  const refresh = new TokenRefreshService({ connections: connectionRepository, store, tokens, audit, logger, clock, leaseMs: settings.refreshLeaseSeconds * 1000 });
  const refreshRuns = new RefreshRunRepository(tables.refreshRuns);
  const refreshJob = new RefreshJob({ connections: connectionRepository, refresh, runs: refreshRuns, logger, clock, settings, onRun: (run) => reportRun(telemetry, run) });
  const dependencyRepository = new DependencyRepository(tables.dependencies, tables.dependenciesByWorkflow);
  const dependencies = new WorkflowDependencyService(dependencyRepository, clock);
  const workflows = new WorkflowService(new WorkflowStateRepository(tables.workflowDisableState), dependencyRepository, audit, clock);
  const credentials = new CredentialsService({
    connections,
    tokens,
    refresh,
    dependencies,
    workflows,
    audit,
    logger,
    clock,
    settings,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  return {
    settings,
    telemetry,
    refresh,
    refreshJob,
    refreshRuns,
    dependencies,
    workflows,
    credentials,
    connectionUpdate: new ConnectionUpdate({ store, states, secrets, authorization, audit, clock }),
    configs: new ConfigService({ config: new ConfigRepository(tables.config), secrets, connections: store, audit, clock }),
    connectionDeletion: new ConnectionDeletion({ store, states, secrets, dependencies: dependencyRepository, workflows, audit }),
    clock,
    logger,
    tables,
    secrets,
    audit,
    tokens,
    authorization,
    connectionTests: new ConnectionTestService(store, tokens, tester, audit, clock),
    storageHealthy: () => pingStorage(tables),
    apiKeys: new ApiKeyService(new ApiKeyRepository(tables.apiKeys), clock, logger, settings.bootstrapAdminKey),
    connections,
  };
}

async function createSecretStore(settings: Settings, tables: TableClients): Promise<SecretStore> {
  if (settings.keyVaultUrl !== undefined) {
    // Loaded only when used: the identity stack is large and the embedded default never needs it.
    const { KeyVaultSecretStore } = await import("../storage/key-vault-secret-store.js");
    return KeyVaultSecretStore.fromUrl(settings.keyVaultUrl);
  }
  const key = settings.localSecretKey ?? (await loadOrCreateKeyFile(join(settings.localDataDir, "secret.key")));
  return new LocalSecretStore(tables.secrets, key);
}

/** A run summary as one event and one metric per count (docs/telemetry.md). */
function reportRun(telemetry: Telemetry, run: RefreshRunRecord): void {
  telemetry.trackEvent("oauth.refresh_run", { ...run });
  for (const name of ["checked", "refreshed", "failed", "skipped", "duration_ms"] as const) {
    telemetry.trackMetric(`oauth.refresh_run.${name}`, run[name], { trigger: run.trigger });
  }
}
