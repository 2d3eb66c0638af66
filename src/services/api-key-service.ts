import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { GLOBAL_ORG } from "../settings.js";
import type { ApiKeyRecord, ApiKeyRepository, ApiKeyRole } from "../storage/api-key-repository.js";
import type { Caller } from "./access.js";
import { fail, ok, type Result } from "./result.js";

/** Keys carry 256 bits of randomness; the prefix makes a leaked key easy to recognise in a scan. */
const KEY_PREFIX = "ohk_";
const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;
const BOOTSTRAP_KEY_ID = "bootstrap";

export interface IssuedKey {
  record: ApiKeyRecord;
  /** The key itself: returned once, at creation, and never stored. */
  key: string;
}

export interface NewKeyInput {
  name: string;
  role: ApiKeyRole;
  org_id: string;
}

export const hashApiKey = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

/** API keys (DESIGN §4): issue, list, revoke, and authenticate a presented key. */
export class ApiKeyService {
  readonly #bootstrapHash: Buffer | undefined;

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly clock: Clock,
    private readonly logger: Logger,
    bootstrapAdminKey: string | undefined,
  ) {
    this.#bootstrapHash = bootstrapAdminKey === undefined ? undefined : Buffer.from(hashApiKey(bootstrapAdminKey), "hex");
  }

  async issue(input: NewKeyInput, createdBy: string): Promise<IssuedKey> {
    const key = KEY_PREFIX + randomBytes(32).toString("base64url");
    const record: ApiKeyRecord = {
      key_hash: hashApiKey(key),
      id: randomUUID(),
      name: input.name,
      role: input.role,
      org_id: input.org_id,
      created_at: this.clock.now().toISOString(),
      created_by: createdBy,
      last_used_at: undefined,
      revoked: false,
      revoked_at: undefined,
    };
    await this.repository.create(record);
    this.logger.info("api key issued", { key_id: record.id, name: record.name, role: record.role, org_id: record.org_id, created_by: createdBy });
    return { record, key };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.repository.list();
  }

  async revoke(id: string, revokedBy: string): Promise<Result<ApiKeyRecord>> {
    const record = await this.repository.findById(id);
    if (record === undefined) return fail("key_not_found", `No API key with id ${id}`);
    if (!record.revoked) {
      const revokedAt = this.clock.now().toISOString();
      await this.repository.update(record.key_hash, { revoked: true, revoked_at: revokedAt });
      Object.assign(record, { revoked: true, revoked_at: revokedAt });
      this.logger.info("api key revoked", { key_id: id, name: record.name, revoked_by: revokedBy });
    }
    return ok(record);
  }

  /** The caller a presented key stands for, or undefined for an unknown or revoked key. */
  async authenticate(presented: string): Promise<Caller | undefined> {
    const presentedHash = Buffer.from(hashApiKey(presented), "hex");
    if (this.#bootstrapHash !== undefined && timingSafeEqual(presentedHash, this.#bootstrapHash)) {
      return { key_id: BOOTSTRAP_KEY_ID, name: "bootstrap-admin", role: "admin", org_id: GLOBAL_ORG };
    }
    const record = await this.repository.getByHash(presentedHash.toString("hex"));
    // The lookup is by hash; comparing again in constant time keeps the check independent of how storage matches keys.
    if (record === undefined || record.revoked || !timingSafeEqual(Buffer.from(record.key_hash, "hex"), presentedHash)) return undefined;
    await this.#touch(record);
    return { key_id: record.id, name: record.name, role: record.role, org_id: record.org_id };
  }

  /** True when some active GLOBAL admin key exists (the bootstrap setting counts). */
  async hasGlobalAdmin(): Promise<boolean> {
    if (this.#bootstrapHash !== undefined) return true;
    const keys = await this.repository.list();
    return keys.some((key) => !key.revoked && key.role === "admin" && key.org_id === GLOBAL_ORG);
  }

  // Recording every use would put a write on every request; an hour's resolution is what admins need.
  async #touch(record: ApiKeyRecord): Promise<void> {
    const now = this.clock.now();
    if (record.last_used_at !== undefined && now.getTime() - Date.parse(record.last_used_at) < LAST_USED_RESOLUTION_MS) return;
    try {
      await this.repository.update(record.key_hash, { last_used_at: now.toISOString() });
    } catch (error) {
      this.logger.warn("could not record api key use", { key_id: record.id, error: (error as Error).message });
    }
  }
}
