import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

/** A fresh 256-bit state value (RFC 6749 §10.12, RFC 9700 §4.7). */
export const generateState = () => randomBytes(32).toString("base64url");

/** Only this hash is stored, so a copy of the table cannot be replayed at the callback. */
export const hashState = (state: string) => createHash("sha256").update(state, "utf8").digest("hex");

function keyFor(state: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(state, "utf8"), "oauth-helper-state", "pkce-code-verifier", 32));
}

/**
 * Encrypts a value (the PKCE verifier) under a key derived from the state. Storage holds only the
 * state's hash, so the verifier is readable only by whoever presents the state at the callback.
 */
export function sealWithState(state: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(state), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString("base64url")).join(".");
}

/** The value sealed with `sealWithState`; throws when the state does not match. */
export function openWithState(state: string, sealed: string): string {
  const [iv, tag, body] = sealed.split(".").map((part) => Buffer.from(part, "base64url"));
  if (iv === undefined || tag === undefined || body === undefined) throw new Error("Malformed sealed value");
  const decipher = createDecipheriv("aes-256-gcm", keyFor(state), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
}
