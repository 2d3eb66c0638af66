import type { TableClients } from "../../src/storage/tables.js";

/** How many rows each table holds, to prove a refused request wrote nothing. */
export async function countRows(tables: TableClients): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, table] of Object.entries(tables)) {
    let count = 0;
    for await (const _ of table.listEntities({ queryOptions: { select: ["RowKey"] } })) count++;
    counts[name] = count;
  }
  return counts;
}
