import type { HttpRoute, TimerRoute } from "../functions/route.js";
import { loadSettings } from "../settings.js";
import { routeOperation, timerPathItem } from "./operations.js";
import { SchemaCollector, compareStrings, type JsonObject } from "./schema-collector.js";

/** The contract's version: bump it when the HTTP API changes in a way clients notice. */
export const API_VERSION = "1.0.0";

const METHOD_ORDER = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** The OpenAPI 3.1 document for these routes (and timers), built from their zod schemas. */
export function buildOpenApiDocument(routes: readonly HttpRoute[], timers: readonly TimerRoute[] = []): Record<string, unknown> {
  const schemas = new SchemaCollector();
  // Body schemas that depend on settings are documented as the defaults make them.
  const settings = loadSettings({});
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.route)] ??= {});
    route.methods.forEach((method, index) => {
      const key = method.toLowerCase();
      if (item[key] !== undefined) throw new Error(`${method} /${route.route} is declared twice`);
      const operationId = index === 0 ? route.name : `${route.name}${key.charAt(0).toUpperCase()}${key.slice(1)}`;
      item[key] = routeOperation(route, operationId, schemas, settings);
    });
  }
  for (const timer of timers) paths[`/admin/functions/${timer.name}`] = timerPathItem(timer, schemas);
  const securitySchemes: JsonObject = {
    bearerAuth: { type: "http", scheme: "bearer", description: "An API key from POST /oauth/keys (or the bootstrap admin key)" },
    ...(timers.length === 0 ? {} : { functionsKey: { type: "apiKey", in: "header", name: "x-functions-key" } }),
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "OAuth Helper API",
      version: API_VERSION,
      description: "Holds OAuth connections per organization, runs their flows, and hands current access tokens to workflows.",
    },
    servers: [{ url: "/api" }],
    paths: sortPaths(paths),
    // Last: naming the components rewrites the $refs of every schema converted above.
    components: { schemas: schemas.components(), securitySchemes },
  };
}

/** Azure route templates may carry constraints (`{id:guid}`) or be optional (`{id?}`); OpenAPI wants bare names. */
function openApiPath(route: string): string {
  return `/${route.replace(/\{([^}:?]+)[^}]*\}/g, "{$1}")}`;
}

function sortPaths(paths: Record<string, JsonObject>): Record<string, JsonObject> {
  const rank = (key: string) => (METHOD_ORDER.includes(key) ? METHOD_ORDER.indexOf(key) : -1);
  return Object.fromEntries(
    Object.keys(paths)
      .sort(compareStrings)
      .map((path) => {
        const item = paths[path]!;
        const keys = Object.keys(item).sort((a, b) => rank(a) - rank(b) || compareStrings(a, b));
        return [path, Object.fromEntries(keys.map((key) => [key, item[key]]))];
      }),
  );
}
