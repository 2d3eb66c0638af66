import { parseNcrontab, resolveScheduleSetting } from "../timer/ncrontab.js";
import { errorBody, errorResponses } from "./schemas/common.js";
import { connectionDetail, connectionNameParams } from "./schemas/connection-schemas.js";
import { refreshStatus } from "./schemas/refresh-schemas.js";
import { toConnectionDetail } from "./connection-view.js";
import { failureResponse, jsonResponse } from "./http-errors.js";
import { defineRoute, type TimerRoute } from "./route.js";

/** The scheduled refresh; also runs on POST /admin/functions/oauthRefreshTimer. */
export const refreshTimer: TimerRoute = {
  name: "oauthRefreshTimer",
  schedule: (settings) => settings.refreshSchedule,
  handler: async (services) => {
    await services.refreshJob.run("timer");
  },
};

export const refreshStatusRoute = defineRoute({
  name: "refreshStatus",
  methods: ["GET"],
  route: "oauth/refresh/status",
  auth: { roles: ["admin"] },
  summary: "The last refresh run (counts across all orgs) and the next scheduled one",
  tags: ["refresh"],
  responses: { 200: { description: "Status", schema: refreshStatus }, ...errorResponses },
  handler: async ({ services }) => {
    const { settings, clock } = services;
    const last = await services.refreshRuns.latest();
    const schedule = resolveScheduleSetting(settings.refreshSchedule, process.env);
    return jsonResponse(200, {
      last_run: last ?? null,
      schedule,
      next_run_at: parseNcrontab(schedule).next(clock.now()).toISOString(),
      window_minutes: settings.refreshWindowMinutes,
    });
  },
});

export const refreshConnectionRoute = defineRoute({
  name: "refreshConnection",
  methods: ["POST"],
  route: "oauth/connections/{name}/refresh",
  auth: { roles: ["admin"] },
  org: "write",
  summary: "Refresh one connection's token now (ignores the backoff after failures)",
  tags: ["refresh"],
  params: connectionNameParams,
  responses: {
    200: { description: "Refreshed", schema: connectionDetail },
    ...errorResponses,
    404: { description: "No such connection in the org", schema: errorBody },
    409: { description: "Another instance is refreshing it right now", schema: errorBody },
    502: { description: "The provider refused; `message` says why and what to do", schema: errorBody },
  },
  handler: async ({ services, caller, orgId, params }) => {
    const refreshed = await services.refresh.refreshNow(orgId, params.name, caller!.name);
    return refreshed.ok ? jsonResponse(200, toConnectionDetail(refreshed.value, services.settings)) : failureResponse(refreshed.error);
  },
});
