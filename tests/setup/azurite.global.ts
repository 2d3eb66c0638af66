import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startAzuriteTables, type AzuriteTableService } from "../../src/local/azurite.js";

declare module "vitest" {
  export interface ProvidedContext {
    storageConnectionString: string;
  }
}

let azurite: AzuriteTableService | undefined;
let location: string | undefined;

/** One Azurite for the whole run; each test file isolates itself with its own table prefix. */
export async function setup(project: TestProject): Promise<void> {
  location = await mkdtemp(join(tmpdir(), "oauth-helper-azurite-"));
  azurite = await startAzuriteTables({ location });
  project.provide("storageConnectionString", azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
  if (location !== undefined) await rm(location, { recursive: true, force: true });
}
