import { randomUUID } from "node:crypto";
import type { HttpHandler, HttpResponseInit, LogHandler } from "@azure/functions";
import { HttpRequest, HttpResponse, InvocationContext } from "../functions/azure-functions.js";
import { bindHttpRoute, describeError } from "../functions/pipeline.js";
import { RouteMatcher } from "../functions/route-matcher.js";
import type { HttpRoute, TimerRoute } from "../functions/route.js";
import type { Logger } from "../logger.js";
import type { AppServices } from "../services/app-services.js";
import { GLOBAL_ORG } from "../settings.js";

export interface IncomingCall {
  method: string;
  /** Absolute URL, e.g. http://localhost:7071/api/health. */
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface DispatchedResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export interface Dispatcher {
  dispatch(call: IncomingCall): Promise<DispatchedResponse>;
  /** Runs a timer function now (what the schedule and POST /admin/functions/{name} do). */
  runTimer(name: string): Promise<void>;
}

const ADMIN_FUNCTIONS = /^\/admin\/functions\/([^/]+)\/?$/;

/**
 * Routes calls the way the Functions host does: `/api/<route>` to HTTP functions, with real
 * HttpRequest and InvocationContext objects, and `POST /admin/functions/{name}` to timers.
 */
export function createDispatcher(options: {
  httpRoutes: readonly HttpRoute[];
  timerRoutes: readonly TimerRoute[];
  services: AppServices;
}): Dispatcher {
  const { services } = options;
  const matcher = new RouteMatcher(options.httpRoutes);
  const handlers = new Map<HttpRoute, HttpHandler>(options.httpRoutes.map((route) => [route, bindHttpRoute(route, async () => services)]));
  const timers = new Map(options.timerRoutes.map((timer) => [timer.name, timer]));

  const runTimer = async (name: string) => {
    const timer = timers.get(name);
    if (timer === undefined) throw new Error(`No timer function named ${name}`);
    const context = new InvocationContext({ functionName: name, invocationId: randomUUID(), logHandler: logTo(services.logger, name) });
    await timer.handler(services, context);
  };

  const dispatch = async (call: IncomingCall): Promise<DispatchedResponse> => {
    const url = new URL(call.url);
    const admin = ADMIN_FUNCTIONS.exec(url.pathname);
    if (admin?.[1] !== undefined) return toDispatched(await runAdminFunction(decodeURIComponent(admin[1]), call));
    if (!url.pathname.startsWith("/api/")) return toDispatched(notFound(url.pathname));

    const found = matcher.match(call.method, url.pathname.slice("/api/".length));
    if (found.kind === "not_found") return toDispatched(notFound(url.pathname));
    if (found.kind === "method_not_allowed") {
      return toDispatched({
        status: 405,
        headers: { Allow: found.allowed.join(", ") },
        jsonBody: { error: "method_not_allowed", message: `Use ${found.allowed.join(" or ")} for ${url.pathname}` },
      });
    }
    const request = new HttpRequest({
      method: call.method.toUpperCase(),
      url: call.url,
      headers: call.headers,
      query: Object.fromEntries(url.searchParams),
      params: found.params,
      ...(call.body !== undefined && call.body.byteLength > 0 ? { body: { bytes: call.body } } : {}),
    });
    const context = new InvocationContext({
      functionName: found.route.name,
      invocationId: randomUUID(),
      logHandler: logTo(services.logger, found.route.name),
    });
    return toDispatched(await handlers.get(found.route)!(request, context));
  };

  // Like the Functions host: 202 at once, the run continues in the background.
  const runAdminFunction = async (name: string, call: IncomingCall): Promise<HttpResponseInit> => {
    if (call.method.toUpperCase() !== "POST") return { status: 405, headers: { Allow: "POST" } };
    const key = headerValue(call.headers, "x-functions-key");
    const caller = key === undefined ? undefined : await services.apiKeys.authenticate(key);
    if (caller === undefined || caller.role !== "admin" || caller.org_id !== GLOBAL_ORG) {
      return { status: 401, jsonBody: { error: "unauthorized", message: "Send a GLOBAL admin API key in x-functions-key" } };
    }
    if (!timers.has(name)) return { status: 404, jsonBody: { error: "function_not_found", message: `No timer function named ${name}` } };
    runTimer(name).catch((error: unknown) => services.logger.error(`timer ${name} failed`, describeError(error)));
    return { status: 202 };
  };

  return { dispatch, runTimer };
}

function notFound(path: string): HttpResponseInit {
  return { status: 404, jsonBody: { error: "route_not_found", message: `No route for ${path}` } };
}

async function toDispatched(init: HttpResponseInit): Promise<DispatchedResponse> {
  const response = new HttpResponse(init);
  return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

/** InvocationContext log calls go to the one logger, tagged with the function name. */
export function logTo(logger: Logger, functionName: string): LogHandler {
  return (level, ...args) => {
    const [message, ...rest] = args;
    const properties: Record<string, unknown> = { function: functionName };
    rest.forEach((value, index) => {
      if (value !== null && typeof value === "object") Object.assign(properties, value);
      else properties[`arg${index}`] = value;
    });
    const text = String(message);
    if (level === "error" || level === "critical") logger.error(text, properties);
    else if (level === "warning") logger.warn(text, properties);
    else logger.info(text, properties);
  };
}
