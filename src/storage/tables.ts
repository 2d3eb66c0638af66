import { TableClient, type TableServiceClientOptions } from "@azure/data-tables";
import { isTableError } from "./table-errors.js";

/** Every table the service uses (DESIGN §2); Azure allows only alphanumeric names. */
export const TABLE_NAMES = {
  connections: "OAuthConnections",
  config: "Config",
  states: "OAuthStates",
  dependencies: "WorkflowOAuthDependencies",
  dependenciesByWorkflow: "WorkflowOAuthDependenciesByWorkflow",
  workflowDisableState: "WorkflowDisableState",
  auditEvents: "OAuthAuditEvents",
  refreshRuns: "RefreshRuns",
  apiKeys: "ApiKeys",
  secrets: "Secrets",
} as const;

export type TableKey = keyof typeof TABLE_NAMES;
export type TableClients = Record<TableKey, TableClient>;

/**
 * Builds a client per table. `prefix` lets several deployments (or test files) share one storage
 * account without seeing each other's rows.
 */
export function createTableClients(connectionString: string, prefix = ""): TableClients {
  if (prefix !== "" && !/^[A-Za-z][A-Za-z0-9]{0,20}$/.test(prefix)) {
    throw new Error("Table prefix must be alphanumeric and start with a letter");
  }
  const options: TableServiceClientOptions = {
    allowInsecureConnection: usesPlainHttp(connectionString),
    retryOptions: { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 1000 },
  };
  const entries = Object.entries(TABLE_NAMES).map(([key, name]) => [
    key,
    TableClient.fromConnectionString(connectionString, `${prefix}${name}`, options),
  ]);
  return Object.fromEntries(entries) as TableClients;
}

/** Creates the tables that do not exist yet; safe to call on every start. */
export async function ensureTables(tables: TableClients): Promise<void> {
  await Promise.all(
    Object.values(tables).map(async (table) => {
      try {
        await table.createTable();
      } catch (error) {
        if (!isTableError(error, 409)) throw error;
      }
    }),
  );
}

function usesPlainHttp(connectionString: string): boolean {
  return connectionString.includes("UseDevelopmentStorage=true") || /(Endpoint|Protocol)=http(;|:)/i.test(connectionString);
}

/** True when Table Storage answers a minimal query within `timeoutMs`. */
export async function pingStorage(tables: TableClients, timeoutMs = 3000): Promise<boolean> {
  const abort = AbortSignal.timeout(timeoutMs);
  try {
    const pages = tables.apiKeys.listEntities({ abortSignal: abort, queryOptions: { select: ["PartitionKey"] } }).byPage({ maxPageSize: 1 });
    await pages.next();
    return true;
  } catch {
    return false;
  }
}
