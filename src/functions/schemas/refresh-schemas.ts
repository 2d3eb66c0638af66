import { z } from "zod";
import { timestamp } from "./common.js";

export const refreshRun = z
  .object({
    trigger: z.string(),
    started_at: timestamp,
    finished_at: timestamp,
    duration_ms: z.number(),
    checked: z.number().int(),
    refreshed: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
  })
  .meta({ id: "RefreshRun" });

export const refreshStatus = z
  .object({
    last_run: refreshRun.nullable(),
    schedule: z.string().meta({ description: "NCRONTAB (UTC) of oauthRefreshTimer" }),
    next_run_at: timestamp.nullable(),
    window_minutes: z.number().int(),
  })
  .meta({ id: "RefreshStatus" });
