import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { TableClient } from "@azure/data-tables";
import { assertSecretName, type SecretStore } from "./secret-store.js";
import { isNotFound } from "./table-errors.js";

const PARTITION = "SECRET";
const FORMAT = "v1";

interface SecretEntity {
  partitionKey: string;
  rowKey: string;
  ciphertext: string;
  version: string;
}

/**
 * Secrets encrypted with AES-256-GCM in the Secrets table, for the embedded default and for
 * deployments without Key Vault. Each write uses a fresh 96-bit IV; the secret name is bound in as
 * additional authenticated data so a ciphertext cannot be moved to another name.
 */
export class LocalSecretStore implements SecretStore {
  readonly #table: TableClient;
  readonly #key: Buffer;

  constructor(table: TableClient, key: Buffer) {
    if (key.length !== 32) throw new Error("The local secret key must be 32 bytes");
    this.#table = table;
    this.#key = key;
  }

  async set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(name, "utf8"));
    const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
    const ciphertext = [FORMAT, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(".");
    const entity: SecretEntity = { partitionKey: PARTITION, rowKey: name, ciphertext, version: randomBytes(8).toString("hex") };
    await this.#table.upsertEntity(entity, "Replace");
  }

  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    let entity: SecretEntity;
    try {
      entity = await this.#table.getEntity<SecretEntity>(PARTITION, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const [format, iv, tag, body] = entity.ciphertext.split(".");
    if (format !== FORMAT || iv === undefined || tag === undefined || body === undefined) {
      throw new Error(`Secret ${name} is stored in an unknown format`);
    }
    const decipher = createDecipheriv("aes-256-gcm", this.#key, Buffer.from(iv, "base64"));
    decipher.setAAD(Buffer.from(name, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
    } catch {
      throw new Error(`Secret ${name} cannot be decrypted with the configured key (LOCAL_SECRET_KEY or the key file changed?)`);
    }
  }

  async delete(name: string): Promise<void> {
    assertSecretName(name);
    try {
      await this.#table.deleteEntity(PARTITION, name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** Reads the 32-byte key file, creating it (mode 0600) with a random key on first use. */
export async function loadOrCreateKeyFile(path: string): Promise<Buffer> {
  try {
    const key = Buffer.from((await readFile(path, "utf8")).trim(), "base64");
    if (key.length !== 32) throw new Error(`The key file ${path} does not hold a 32-byte base64 key`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = randomBytes(32);
  // "wx" so two processes starting at once cannot each write a different key.
  try {
    await writeFile(path, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return loadOrCreateKeyFile(path);
    throw error;
  }
  await chmod(path, 0o600);
  return key;
}
