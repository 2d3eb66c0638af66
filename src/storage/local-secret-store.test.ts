import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TableClient } from "@azure/data-tables";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { LocalSecretStore, loadOrCreateKeyFile } from "./local-secret-store.js";
import { createTableClients, ensureTables } from "./tables.js";

describe("LocalSecretStore", () => {
  let table: TableClient;
  let store: LocalSecretStore;

  beforeAll(async () => {
    const tables = createTableClients(inject("storageConnectionString"), "lss");
    await ensureTables(tables);
    table = tables.secrets;
    store = new LocalSecretStore(table, randomBytes(32));
  });

  it("returns what was stored and undefined for a missing name", async () => {
    await store.set("oauth-a1", "first value");
    await store.set("oauth-a1", "second value");
    expect(await store.get("oauth-a1")).toBe("second value");
    expect(await store.get("oauth-missing")).toBeUndefined();
  });

  it("never writes the plaintext to the table", async () => {
    const value = `plaintext-${randomBytes(8).toString("hex")}`;
    await store.set("oauth-plain", value);
    const row = await table.getEntity("SECRET", "oauth-plain");
    expect(JSON.stringify(row)).not.toContain(value);
  });

  it("uses a fresh IV for every write of the same value", async () => {
    await store.set("oauth-iv1", "same");
    const first = (await table.getEntity<{ ciphertext: string }>("SECRET", "oauth-iv1")).ciphertext;
    await store.set("oauth-iv1", "same");
    const second = (await table.getEntity<{ ciphertext: string }>("SECRET", "oauth-iv1")).ciphertext;
    expect(first).not.toBe(second);
  });

  it("refuses a ciphertext moved to another secret name", async () => {
    await store.set("oauth-src", "moved value");
    const row = await table.getEntity<{ ciphertext: string; version: string }>("SECRET", "oauth-src");
    await table.upsertEntity({ partitionKey: "SECRET", rowKey: "oauth-dst", ciphertext: row.ciphertext, version: row.version });
    await expect(store.get("oauth-dst")).rejects.toThrow(/cannot be decrypted/);
  });

  it("cannot read secrets written under another key", async () => {
    await store.set("oauth-k1", "value");
    const other = new LocalSecretStore(table, randomBytes(32));
    await expect(other.get("oauth-k1")).rejects.toThrow(/cannot be decrypted/);
  });

  it("deletes, and deleting a missing secret is not an error", async () => {
    await store.set("oauth-del", "value");
    await store.delete("oauth-del");
    await store.delete("oauth-del");
    expect(await store.get("oauth-del")).toBeUndefined();
  });

  it("rejects names Key Vault would not accept", async () => {
    await expect(store.set("oauth_underscore", "x")).rejects.toThrow(/Invalid secret name/);
    await expect(store.set("1leading-digit", "x")).rejects.toThrow(/Invalid secret name/);
  });
});

describe("loadOrCreateKeyFile", () => {
  it("creates a 32-byte key with mode 0600 once and reads the same key afterwards", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "oauth-key-")), "nested", "secret.key");
    const created = await loadOrCreateKeyFile(path);
    expect(created).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateKeyFile(path)).toEqual(created);
    expect(Buffer.from((await readFile(path, "utf8")).trim(), "base64")).toEqual(created);
  });
});
