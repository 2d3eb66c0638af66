import { createHash } from "node:crypto";
import { Pool } from "undici";
import { createTableClients } from "../storage/tables.js";
import type { BenchFixture } from "./bench-setup.js";
import type { Operation } from "./load.js";

/** An operation with the connections it holds open. */
export interface Target {
  operation: Operation;
  close(): Promise<void>;
}

/** GET /api/oauth/credentials/{name} with the workflow key over `concurrency` keep-alive connections. */
export function credentialsRoute(hostUrl: string, fixture: BenchFixture, concurrency: number): Target {
  const pool = new Pool(hostUrl, { connections: concurrency, pipelining: 1 });
  // A workflow id exercises dependency tracking too, as real workflows do; it is cached after the first read.
  const headers = { authorization: `Bearer ${fixture.workflowKey}`, "x-workflow-id": "bench-workflow" };
  const names = fixture.connectionNames;
  return {
    operation: async (index) => {
      const name = names[index % names.length]!;
      const response = await pool.request({ method: "GET", path: `/api/oauth/credentials/${name}`, headers });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`GET credentials/${name} answered ${response.statusCode}: ${text}`);
      const body = JSON.parse(text) as { connection_name?: unknown; access_token?: unknown };
      if (body.connection_name !== name || typeof body.access_token !== "string") throw new Error(`GET credentials/${name} answered ${text}`);
    },
    close: () => pool.close(),
  };
}

/** The storage reads the route cannot avoid: the key row by hash, then the connection row, one after the other. */
export function storageFloor(connectionString: string, fixture: BenchFixture): Target {
  const tables = createTableClients(connectionString);
  const keyHash = createHash("sha256").update(fixture.workflowKey, "utf8").digest("hex");
  const names = fixture.connectionNames;
  return {
    operation: async (index) => {
      await tables.apiKeys.getEntity("KEY", keyHash);
      await tables.connections.getEntity(fixture.orgId, names[index % names.length]!);
    },
    close: async () => {},
  };
}
