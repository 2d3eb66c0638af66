/**
 * Where secret values live: client secrets, token sets, and secret config values.
 * Tables hold only the names returned here, never the values.
 */
export interface SecretStore {
  /** Stores a new version of the named secret, creating it when absent. */
  set(name: string, value: string): Promise<void>;
  /** The current value, or undefined when the secret does not exist. */
  get(name: string): Promise<string | undefined>;
  /** Removes the secret; deleting a missing secret is not an error. */
  delete(name: string): Promise<void>;
}

/** Secret names must suit Key Vault as well: 1-127 of [0-9A-Za-z-], starting with a letter. */
export const SECRET_NAME_PATTERN = /^[A-Za-z][0-9A-Za-z-]{0,126}$/;

export function assertSecretName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new Error(`Invalid secret name "${name}": use 1-127 of [0-9A-Za-z-], starting with a letter`);
  }
}
