import { healthBody } from "./schemas/common.js";
import { jsonResponse } from "./http-errors.js";
import { defineRoute } from "./route.js";

export const healthRoute = defineRoute({
  name: "health",
  methods: ["GET"],
  route: "health",
  auth: "anonymous",
  summary: "200 when storage answers, 503 otherwise",
  tags: ["health"],
  responses: { 200: { description: "Healthy", schema: healthBody }, 503: { description: "Storage unavailable", schema: healthBody } },
  handler: async ({ services, context }) => {
    const healthy = await services.storageHealthy();
    if (!healthy) context.warn("health check: storage did not answer");
    return jsonResponse(healthy ? 200 : 503, { status: healthy ? "ok" : "unavailable" });
  },
});
