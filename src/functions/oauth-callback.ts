import { z } from "zod";
import { redirectToReturnUrl, renderCallbackPage, RESULT_PAGE_HEADERS, escapeHtml } from "./callback-page.js";
import { readLimitedText } from "./request-validation.js";
import { connectionNameParams } from "./schemas/connection-schemas.js";
import { defineRoute } from "./route.js";

const page = { description: "Result page (HTML), or a 302 to OAUTH_RETURN_URL", schema: z.string(), contentType: "text/html" };

export const oauthCallbackRoute = defineRoute({
  name: "oauthCallback",
  methods: ["GET", "POST"],
  route: "oauth/callback/{name}",
  auth: "anonymous",
  summary: "Where the provider sends the browser back: query (GET) or form_post (POST, application/x-www-form-urlencoded)",
  tags: ["authorization"],
  params: connectionNameParams,
  responses: {
    200: page,
    302: { description: "Redirect to OAUTH_RETURN_URL with connection and status" },
    400: { ...page, description: "Invalid, expired or replayed state (HTML)" },
    413: { ...page, description: "Body over 64 KiB" },
  },
  handler: async ({ services, request, params }) => {
    let parameters = new URLSearchParams(request.query);
    if (request.method === "POST") {
      const contentType = request.headers.get("content-type") ?? "";
      if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
        return plainPage(400, "A form_post callback must be application/x-www-form-urlencoded.");
      }
      const body = await readLimitedText(request);
      if (!body.ok) return plainPage(413, body.error.message);
      parameters = new URLSearchParams(body.value);
    }
    const outcome = await services.authorization.callback(params.name, parameters);
    const returnUrl = services.settings.returnUrl;
    return returnUrl === undefined ? renderCallbackPage(outcome) : redirectToReturnUrl(returnUrl, outcome);
  },
});

function plainPage(status: number, message: string) {
  return { status, headers: RESULT_PAGE_HEADERS, body: `<!doctype html><title>Callback refused</title><p>${escapeHtml(message)}</p>` };
}
