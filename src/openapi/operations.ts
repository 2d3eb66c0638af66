import type { z } from "zod";
import type { HttpRoute, ResponseDoc, RouteAuth, TimerRoute } from "../functions/route.js";
import { errorBody } from "../functions/schemas/common.js";
import { ORG_ID_PATTERN, type Settings } from "../settings.js";
import type { JsonObject, SchemaCollector } from "./schema-collector.js";

const JSON_CONTENT = "application/json";

/** The OpenAPI operation for one method of an HTTP route. */
export function routeOperation(route: HttpRoute, operationId: string, schemas: SchemaCollector, settings: Settings): JsonObject {
  const pathParameters = objectParameters(route.params, "path", schemas, route.name);
  const templateNames = [...route.route.matchAll(/\{([^}:?]+)/g)].map((match) => match[1]).sort();
  const declaredNames = pathParameters.map((parameter) => parameter["name"]).sort();
  if (templateNames.join() !== declaredNames.join()) {
    throw new Error(`${route.name}: the params schema (${declaredNames.join(", ")}) does not match the route /${route.route}`);
  }
  const parameters = [
    ...pathParameters,
    ...objectParameters(route.query, "query", schemas, route.name),
    ...(route.org === undefined ? [] : [orgHeader()]),
  ];
  const body = typeof route.body === "function" ? route.body(settings) : route.body;
  return {
    operationId,
    summary: route.summary,
    ...(route.auth === "anonymous" ? {} : { description: authDescription(route.auth) }),
    tags: [...route.tags],
    security: route.auth === "anonymous" ? [] : [{ bearerAuth: [] }],
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(body === undefined ? {} : { requestBody: { required: true, content: { [JSON_CONTENT]: { schema: schemas.convert(body, "input") } } } }),
    responses: responses(route.responses, schemas),
  };
}

/** The Functions admin endpoint that runs a timer now; it lives outside /api, hence its own server. */
export function timerPathItem(timer: TimerRoute, schemas: SchemaCollector): JsonObject {
  return {
    servers: [{ url: "/" }],
    post: {
      operationId: `run${timer.name.charAt(0).toUpperCase()}${timer.name.slice(1)}`,
      summary: `Run the ${timer.name} timer function now`,
      description: "As on the Azure Functions host: answers 202 at once, and the run continues in the background.",
      tags: ["admin"],
      security: [{ functionsKey: [] }],
      requestBody: {
        required: false,
        content: { [JSON_CONTENT]: { schema: { type: "object", properties: { input: { type: "string" } } } } },
      },
      responses: responses(
        {
          202: { description: "Accepted; the timer runs in the background" },
          401: { description: "Missing key, or not a GLOBAL admin key", schema: errorBody },
          404: { description: "No timer function with that name", schema: errorBody },
        },
        schemas,
      ),
    },
  };
}

function authDescription(auth: Exclude<RouteAuth, "anonymous">): string {
  const roles = auth.roles.join(" or ");
  return `Requires an API key with role ${roles}${auth.globalOnly === true ? "; GLOBAL keys only" : ""}.`;
}

function orgHeader(): JsonObject {
  return {
    name: "X-Organization-Id",
    in: "header",
    required: false,
    description: "The org to act on (GLOBAL for shared entries); defaults to the key's own org.",
    schema: { type: "string", pattern: ORG_ID_PATTERN.source },
  };
}

/** One parameter per property of a params or query object schema. */
function objectParameters(schema: z.ZodType | undefined, where: "path" | "query", schemas: SchemaCollector, routeName: string): JsonObject[] {
  if (schema === undefined) return [];
  const json = schemas.convert(schema, "input");
  const properties = json["properties"] as Record<string, JsonObject> | undefined;
  if (json["type"] !== "object" || properties === undefined) throw new Error(`${routeName}: ${where} schema must be a plain object`);
  const required = new Set((json["required"] as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    // The property object is kept, not copied: the collector later rewrites $refs inside it in place.
    const description = property["description"];
    delete property["description"];
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: property,
    };
  });
}

function responses(docs: Record<number, ResponseDoc>, schemas: SchemaCollector): JsonObject {
  const statuses = Object.keys(docs).sort((a, b) => Number(a) - Number(b));
  return Object.fromEntries(
    statuses.map((status) => {
      const doc = docs[Number(status)]!;
      if (doc.schema !== undefined) {
        const content = { [doc.contentType ?? JSON_CONTENT]: { schema: schemas.convert(doc.schema, "output") } };
        return [status, { description: doc.description, content }];
      }
      // A declared media type without a schema (an HTML page, say) is still worth saying.
      if (doc.contentType !== undefined) return [status, { description: doc.description, content: { [doc.contentType]: {} } }];
      return [status, { description: doc.description }];
    }),
  );
}
