import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { z } from "zod";
import type { AccessKind, Caller } from "../services/access.js";
import type { AppServices } from "../services/app-services.js";
import type { Settings } from "../settings.js";
import type { ApiKeyRole } from "../storage/api-key-repository.js";

/** Who may call a route: nobody needs a key, or a key with one of these roles (GLOBAL scope if `globalOnly`). */
export type RouteAuth = "anonymous" | { roles: readonly ApiKeyRole[]; globalOnly?: boolean };

/** A body schema, or one that depends on the settings (e.g. whether loopback http URLs are allowed). */
export type BodySchema<B extends z.ZodType> = B | ((settings: Settings) => B);

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

export interface RouteInput<P, Q, B> {
  services: AppServices;
  request: HttpRequest;
  context: InvocationContext;
  /** Undefined only on anonymous routes. */
  caller: Caller | undefined;
  /** The org the request acts on (X-Organization-Id or the key's own), on routes that declare `org`. */
  orgId: string;
  params: P;
  query: Q;
  body: B;
}

/** One HTTP function: its registration, its contract (also the source of the OpenAPI document) and its handler. */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  /** The Azure Functions function name. */
  name: string;
  methods: readonly HttpMethod[];
  /** Route template under /api, e.g. `oauth/connections/{name}`. */
  route: string;
  auth: RouteAuth;
  /** Routes acting on an org read X-Organization-Id; `write` refuses GLOBAL to org-scoped keys. */
  org?: AccessKind;
  summary: string;
  tags: readonly string[];
  params?: P;
  query?: Q;
  body?: BodySchema<B>;
  responses: Record<number, ResponseDoc>;
  handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<HttpResponseInit>;
}

/** A route with its types erased, as kept in the route table. */
export type HttpRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** Declares a route; the generic parameters give the handler typed params, query and body. */
export function defineRoute<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<P, Q, B>,
): HttpRoute {
  return spec as unknown as HttpRoute;
}

/** A timer function: registered with app.timer in Azure and scheduled by the embedded host. */
export interface TimerRoute {
  name: string;
  /** NCRONTAB (six fields, UTC) from the settings. */
  schedule: (settings: Settings) => string;
  handler: (services: AppServices, context: InvocationContext) => Promise<void>;
}
