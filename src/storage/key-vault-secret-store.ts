import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { assertSecretName, type SecretStore } from "./secret-store.js";

interface KeyVaultErrorLike {
  statusCode?: number;
  code?: string;
  details?: { error?: { code?: string; innerError?: { code?: string } } };
}

function errorCodes(error: unknown): { statusCode?: number; code?: string; innerCode?: string } {
  const e = (typeof error === "object" && error !== null ? error : {}) as KeyVaultErrorLike;
  return { statusCode: e.statusCode, code: e.code ?? e.details?.error?.code, innerCode: e.details?.error?.innerError?.code };
}

const isNotFound = (error: unknown) => errorCodes(error).statusCode === 404;

/** Secrets in Azure Key Vault; the vault keeps every version and soft-deletes on delete. */
export class KeyVaultSecretStore implements SecretStore {
  readonly #client: SecretClient;

  constructor(client: SecretClient) {
    this.#client = client;
  }

  /** A store for the vault at vaultUrl, authenticated as the app's managed identity (or the developer locally). */
  static fromUrl(vaultUrl: string): KeyVaultSecretStore {
    return new KeyVaultSecretStore(new SecretClient(vaultUrl, new DefaultAzureCredential()));
  }

  async set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    try {
      await this.#client.setSecret(name, value);
      return;
    } catch (error) {
      // A soft-deleted name blocks reuse until recovered or purged; recovering needs less permission than purging.
      if (errorCodes(error).innerCode !== "ObjectIsDeletedButRecoverable") throw redacted(name, error);
    }
    await (await this.#client.beginRecoverDeletedSecret(name)).pollUntilDone();
    try {
      await this.#client.setSecret(name, value);
    } catch (error) {
      throw redacted(name, error);
    }
  }

  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    try {
      return (await this.#client.getSecret(name)).value;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    assertSecretName(name);
    try {
      // Starting the poller sends the DELETE; waiting for the purge-pending state could take seconds and
      // nothing here depends on it.
      await this.#client.beginDeleteSecret(name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** The SDK's RestError carries the request, whose body holds the secret value, so none of it may escape. */
function redacted(name: string, error: unknown): Error {
  const { statusCode, code, innerCode } = errorCodes(error);
  const reason = [statusCode === undefined ? undefined : `HTTP ${statusCode}`, code, innerCode].filter(Boolean).join(" ");
  return Object.assign(new Error(`Key Vault did not store secret ${name}${reason ? ` (${reason})` : ""}`), {
    statusCode,
    code: innerCode ?? code,
  });
}
