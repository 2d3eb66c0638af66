import { z } from "zod";
import { isIP } from "node:net";
import { isBlockedAddress } from "../../oauth/address-guard.js";
import { LOOPBACK_HOSTS } from "../../oauth/loopback.js";
import type { Settings } from "../../settings.js";

/**
 * A provider endpoint: https only (RFC 9700 §2.6), or http on loopback when
 * OAUTH_ALLOW_INSECURE_LOOPBACK is on; no credentials in it, and no fragment (RFC 6749 §3.1, §3.2).
 */
export function providerUrl(settings: Pick<Settings, "allowInsecureLoopback">) {
  return z
    .string()
    .max(2048)
    .superRefine((value, ctx) => {
      const problem = providerUrlProblem(value, settings.allowInsecureLoopback);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta({ format: "uri", description: "https URL (http only on loopback with OAUTH_ALLOW_INSECURE_LOOPBACK)" });
}

export function providerUrlProblem(value: string, allowInsecureLoopback: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL";
  }
  if (url.username !== "" || url.password !== "") return "must not contain credentials";
  if (url.hash !== "") return "must not contain a fragment";
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal) !== 0 && isBlockedAddress(literal)) return "must not point at a link-local or cloud metadata address";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) {
    return allowInsecureLoopback ? undefined : "must use https (http on loopback needs OAUTH_ALLOW_INSECURE_LOOPBACK=true)";
  }
  return "must use https";
}
