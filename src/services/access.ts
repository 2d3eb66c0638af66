import { GLOBAL_ORG } from "../settings.js";
import type { ApiKeyRole } from "../storage/api-key-repository.js";
import { fail, ok, type Result } from "./result.js";

/** Who is calling: the authenticated API key. */
export interface Caller {
  key_id: string;
  /** The key's name; recorded as `created_by` and as the actor of audit events. */
  name: string;
  role: ApiKeyRole;
  /** The key's scope: an org id, or GLOBAL for every org. */
  org_id: string;
}

export type AccessKind = "read" | "write";

/**
 * Decides which org a request acts on (DESIGN §4): the requested org (X-Organization-Id) or the
 * key's own. An org-scoped key may act only on its org, and may read (never write) GLOBAL.
 */
export function resolveActingOrg(caller: Caller, requestedOrg: string | undefined, access: AccessKind): Result<string> {
  const orgId = requestedOrg ?? caller.org_id;
  if (caller.org_id === GLOBAL_ORG || orgId === caller.org_id) return ok(orgId);
  if (orgId === GLOBAL_ORG && access === "read") return ok(orgId);
  const message =
    orgId === GLOBAL_ORG
      ? `This key is scoped to organization ${caller.org_id} and cannot change GLOBAL resources`
      : `This key is scoped to organization ${caller.org_id} and cannot act on organization ${orgId}`;
  return fail("forbidden", message);
}
