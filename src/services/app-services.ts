import { join } from "node:path";
import { systemClock, type Clock } from "../clock.js";
import { consoleLogger, type Logger } from "../logger.js";
import type { Settings } from "../settings.js";
import { ApiKeyRepository } from "../storage/api-key-repository.js";
import { AuditRepository } from "../storage/audit-repository.js";
import { ConfigRepository } from "../storage/config-repository.js";
import { ConnectionRepository } from "../storage/connection-repository.js";
import { LocalSecretStore, loadOrCreateKeyFile } from "../storage/local-secret-store.js";
import type { SecretStore } from "../storage/secret-store.js";
import { createTableClients, ensureTables, pingStorage, type TableClients } from "../storage/tables.js";
import { ApiKeyService } from "./api-key-service.js";
import { AuditLog } from "./audit-log.js";
import { ConnectionService } from "./connection-service.js";

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
  storageHealthy(): Promise<boolean>;
}

export interface AppServicesOptions {
  clock?: Clock;
  logger?: Logger;
  /** Prefix for table names, so several deployments or test files can share a storage account. */
  tablePrefix?: string;
  secrets?: SecretStore;
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
  const audit = new AuditLog(new AuditRepository(tables.auditEvents), logger, clock);
  return {
    settings,
    clock,
    logger,
    tables,
    secrets,
    audit,
    storageHealthy: () => pingStorage(tables),
    apiKeys: new ApiKeyService(new ApiKeyRepository(tables.apiKeys), clock, logger, settings.bootstrapAdminKey),
    connections: new ConnectionService(
      new ConnectionRepository(tables.connections),
      new ConfigRepository(tables.config),
      secrets,
      audit,
      clock,
    ),
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
