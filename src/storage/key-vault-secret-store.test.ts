// This test checks our use of the Key Vault SDK against a small local server that speaks the subset of the
// secrets REST API we use (tests/support/fake-key-vault.ts). It does not test Key Vault itself: there is no
// Key Vault emulator, so the fake's answers are modelled on the documented REST API and may drift from it.
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeKeyVault, type FakeKeyVault } from "../../tests/support/fake-key-vault.js";
import { KeyVaultSecretStore } from "./key-vault-secret-store.js";

function clientFor(vault: FakeKeyVault): SecretClient {
  return new SecretClient(
    vault.url,
    { getToken: async () => ({ token: "x", expiresOnTimestamp: Date.now() + 3.6e6 }) },
    { disableChallengeResourceVerification: true, allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
  );
}

/** Whether any string reachable from value, through own properties enumerable or not, contains needle. */
function reaches(value: unknown, needle: string, seen = new Set<unknown>()): boolean {
  if (typeof value === "string") return value.includes(needle);
  if (typeof value !== "object" || value === null || seen.has(value)) return false;
  seen.add(value);
  return Reflect.ownKeys(value).some((key) => reaches(Reflect.get(value, key), needle, seen));
}

describe("KeyVaultSecretStore", () => {
  let vault: FakeKeyVault;
  let store: KeyVaultSecretStore;

  beforeAll(async () => {
    vault = await startFakeKeyVault();
    store = new KeyVaultSecretStore(clientFor(vault));
  });

  afterAll(async () => {
    await vault.close();
  });

  const requestsDuring = async (action: () => Promise<unknown>) => {
    const start = vault.requests.length;
    await action();
    return vault.requests.slice(start);
  };

  it("returns the value that was set", async () => {
    await store.set("set-get", "value one");
    expect(await store.get("set-get")).toBe("value one");
  });

  it("returns the newest value after setting a name twice", async () => {
    await store.set("set-twice", "old");
    await store.set("set-twice", "new");
    expect(await store.get("set-twice")).toBe("new");
  });

  it("returns undefined for a secret that does not exist", async () => {
    expect(await store.get("never-set")).toBeUndefined();
  });

  it("returns undefined after the secret is deleted", async () => {
    await store.set("to-delete", "doomed");
    await store.delete("to-delete");
    expect(await store.get("to-delete")).toBeUndefined();
  });

  it("does not throw when deleting a secret that does not exist", async () => {
    await expect(store.delete("not-there")).resolves.toBeUndefined();
  });

  it("recovers a soft-deleted name and stores the new value", async () => {
    await store.set("reused", "before delete");
    await store.delete("reused");

    const seen = await requestsDuring(() => store.set("reused", "after delete"));

    const calls = seen.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(calls).toContain("PUT /secrets/reused 409");
    expect(calls).toContain("POST /deletedsecrets/reused/recover 200");
    expect(calls.at(-1)).toBe("PUT /secrets/reused 200");
    expect(await store.get("reused")).toBe("after delete");
  });

  it("answers a new client's first request with the bearer challenge, then succeeds with the token", async () => {
    const fresh = new KeyVaultSecretStore(clientFor(vault));

    const seen = await requestsDuring(() => fresh.set("challenged", "secret"));

    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ method: "PUT", path: "/secrets/challenged", authorization: undefined, body: "", status: 401 });
    expect(seen[1]).toMatchObject({ method: "PUT", path: "/secrets/challenged", authorization: "Bearer x", status: 200 });
    expect(JSON.parse(seen[1]!.body)).toMatchObject({ value: "secret" });
    expect(seen[1]!.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(await fresh.get("challenged")).toBe("secret");
  });

  it("rejects an invalid secret name before sending any request", async () => {
    const seen = await requestsDuring(async () => {
      await expect(store.set("bad_name", "v")).rejects.toThrow(/Invalid secret name/);
      await expect(store.get("1starts-with-digit")).rejects.toThrow(/Invalid secret name/);
      await expect(store.delete("")).rejects.toThrow(/Invalid secret name/);
    });
    expect(seen).toEqual([]);
  });

  it("reports a refused write without the secret value in the error", async () => {
    const value = "do-not-leak-7f3a9c";
    vault.forbid("refused");

    const error = await store.set("refused", value).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ statusCode: 403, code: "ForbiddenByRbac" });
    expect((error as Error).message).toContain("refused");
    expect((error as Error).message).toContain("403");
    expect((error as Error).cause).toBeUndefined();
    // The SDK's own error would pass an inspect() check but carries the request body in error.request.
    expect(reaches(error, value)).toBe(false);
    expect(vault.requests.some((r) => r.body.includes(value))).toBe(true);
  });
});
