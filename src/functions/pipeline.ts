import type { HttpHandler, HttpRequest, InvocationContext } from "@azure/functions";
import type { z } from "zod";
import { resolveActingOrg, type Caller } from "../services/access.js";
import type { AppServices } from "../services/app-services.js";
import { fail, ok, type Failure, type Result } from "../services/result.js";
import { GLOBAL_ORG, ORG_ID_PATTERN, type Settings } from "../settings.js";
import { failureResponse, internalErrorResponse } from "./http-errors.js";
import { parseWith, readJsonBody, validationFailure } from "./request-validation.js";
import type { BodySchema, HttpRoute } from "./route.js";

export const ORG_HEADER = "x-organization-id";

/**
 * Turns a route into an Azure Functions handler: authenticate, resolve the org, validate params,
 * query and body, run the handler, and turn anything unexpected into a logged 500.
 */
export function bindHttpRoute(route: HttpRoute, getServices: () => Promise<AppServices>): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext) => {
    let services: AppServices | undefined;
    try {
      services = await getServices();
      const prepared = await prepare(route, services, request);
      if (!prepared.ok) return failureResponse(prepared.error, authChallenge(prepared.error));
      return await route.handler({ services, request, context, ...prepared.value });
    } catch (error) {
      context.error(`${route.name} failed`, describeError(error));
      if (error instanceof Error) services?.telemetry.trackException(error, { function: route.name, invocation_id: context.invocationId });
      return internalErrorResponse(context.invocationId);
    }
  };
}

interface Prepared {
  caller: Caller | undefined;
  orgId: string;
  params: unknown;
  query: unknown;
  body: unknown;
}

async function prepare(route: HttpRoute, services: AppServices, request: HttpRequest): Promise<Result<Prepared>> {
  const caller = await authenticate(route, services, request);
  if (!caller.ok) return caller;
  let orgId = caller.value?.org_id ?? GLOBAL_ORG;
  if (route.org !== undefined && caller.value !== undefined) {
    const org = actingOrg(caller.value, request.headers.get(ORG_HEADER), route.org);
    if (!org.ok) return org;
    orgId = org.value;
  }
  const params = route.params === undefined ? ok(undefined) : parseWith(route.params, request.params, "path");
  if (!params.ok) return params;
  const query = route.query === undefined ? ok(undefined) : parseWith(route.query, Object.fromEntries(request.query), "query");
  if (!query.ok) return query;
  const body = route.body === undefined ? ok(undefined) : await readJsonBody(request, resolveBodySchema(route.body, services.settings));
  if (!body.ok) return body;
  return ok({ caller: caller.value, orgId, params: params.value, query: query.value, body: body.value });
}

async function authenticate(route: HttpRoute, services: AppServices, request: HttpRequest): Promise<Result<Caller | undefined>> {
  if (route.auth === "anonymous") return ok(undefined);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (match?.[1] === undefined) return fail("unauthorized", "Send an API key as 'Authorization: Bearer <key>'");
  const caller = await services.apiKeys.authenticate(match[1]);
  if (caller === undefined) return fail("unauthorized", "The API key is unknown or revoked");
  if (!route.auth.roles.includes(caller.role)) {
    return fail("forbidden", `This route needs a key with role ${route.auth.roles.join(" or ")}; this key has role ${caller.role}`);
  }
  if (route.auth.globalOnly === true && caller.org_id !== GLOBAL_ORG) return fail("forbidden", "This route needs a GLOBAL key");
  return ok(caller);
}

function actingOrg(caller: Caller, header: string | null, access: "read" | "write"): Result<string> {
  if (header !== null && !ORG_ID_PATTERN.test(header)) {
    return validationFailure([{ field: "header.X-Organization-Id", message: "must match ^[A-Za-z0-9_-]{1,64}$" }]);
  }
  return resolveActingOrg(caller, header ?? undefined, access);
}

const bodySchemas = new WeakMap<Settings, Map<object, z.ZodType>>();

function resolveBodySchema(body: BodySchema<z.ZodType>, settings: Settings): z.ZodType {
  if (typeof body !== "function") return body;
  let perSettings = bodySchemas.get(settings);
  if (perSettings === undefined) bodySchemas.set(settings, (perSettings = new Map()));
  let schema = perSettings.get(body);
  if (schema === undefined) perSettings.set(body, (schema = body(settings)));
  return schema;
}

function authChallenge(failure: Failure): Record<string, string> {
  return failure.code === "unauthorized" ? { "WWW-Authenticate": 'Bearer realm="oauth-helper"' } : {};
}

/** Name, message and stack only: request data and SDK internals stay out of the log. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error_name: error.name, error_message: error.message, stack: error.stack };
  return { error_message: String(error) };
}
