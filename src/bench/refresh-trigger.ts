import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import type { z } from "zod";
import { refreshStatus } from "../functions/schemas/refresh-schemas.js";

/** What `GET /api/oauth/refresh/status` answers, checked against the service's own schema. */
export type RefreshStatus = z.infer<typeof refreshStatus>;

/** A finished run as the status route reports it. */
export type RefreshRun = NonNullable<RefreshStatus["last_run"]>;

const POLL_INTERVAL_MS = 100;

/** Reads the refresh status once. */
export async function readRefreshStatus(hostUrl: string, adminKey: string): Promise<RefreshStatus> {
  const response = await request(`${hostUrl}/api/oauth/refresh/status`, { headers: { authorization: `Bearer ${adminKey}` } });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET refresh/status answered ${response.statusCode}: ${text}`);
  return refreshStatus.parse(JSON.parse(text));
}

/** Runs oauthRefreshTimer now, as an operator would: the host answers 202 and runs it in the background. */
export async function triggerRefreshRun(hostUrl: string, adminKey: string): Promise<void> {
  const response = await request(`${hostUrl}/admin/functions/oauthRefreshTimer`, {
    method: "POST",
    headers: { "x-functions-key": adminKey, "content-type": "application/json" },
    body: JSON.stringify({ input: "" }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 202) throw new Error(`POST /admin/functions/oauthRefreshTimer answered ${response.statusCode}: ${text}`);
}

/**
 * Polls the status until it shows a run that started at or after `sinceMs` (epoch ms); the row is
 * written when the run ends, so its presence means finished. Returns it with when it was first seen.
 */
export async function waitForRun(hostUrl: string, adminKey: string, sinceMs: number, timeoutMs: number): Promise<{ run: RefreshRun; seenAtMs: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { last_run: run } = await readRefreshStatus(hostUrl, adminKey);
    if (run !== null && Date.parse(run.started_at) >= sinceMs) return { run, seenAtMs: Date.now() };
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`No refresh run finished within ${Math.round(timeoutMs / 1000)} s of the trigger`);
}
