import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { httpRoutes } from "../src/functions/route-table.js";
import { defineRoute, type TimerRoute } from "../src/functions/route.js";
import { buildOpenApiDocument } from "../src/openapi/build-document.js";
import { OPENAPI_SPEC_PATH, renderOpenApiYaml } from "../src/openapi/write.js";

type Json = Record<string, unknown>;

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const committed = readFileSync(OPENAPI_SPEC_PATH, "utf8");
const document = parse(committed) as Json;
const paths = document["paths"] as Record<string, Json>;
const components = (document["components"] as { schemas: Record<string, Json> }).schemas;

const templatePath = (route: string) => `/${route.replace(/\{([^}:?]+)[^}]*\}/g, "{$1}")}`;

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, found));
  else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") found.push(child);
      else refsIn(child, found);
    }
  }
  return found;
}

function resolve(schema: Json): Json {
  const ref = schema["$ref"];
  return typeof ref === "string" ? resolve(components[ref.replace("#/components/schemas/", "")]!) : schema;
}

describe("the OpenAPI contract in specs/oauth-api.openapi.yaml", () => {
  it("is exactly what the route table generates", () => {
    const fresh = renderOpenApiYaml(httpRoutes);
    expect(committed === fresh, "specs/oauth-api.openapi.yaml is stale: run `npm run openapi` and commit the result").toBe(true);
  });

  it("lists every route and method of the table, and nothing else", () => {
    const expected = httpRoutes.flatMap((route) => route.methods.map((method) => `${method.toLowerCase()} ${templatePath(route.route)}`));
    const documented = Object.entries(paths)
      .filter(([path]) => !path.startsWith("/admin/functions/"))
      .flatMap(([path, item]) => Object.keys(item).filter((key) => HTTP_METHODS.includes(key)).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(expected.sort());
  });

  it("requires the core fields of POST /oauth/connections and refuses unknown ones", () => {
    const body = (paths["/oauth/connections"]!["post"] as { requestBody: { content: Record<string, { schema: Json }> } }).requestBody;
    const schema = resolve(body.content["application/json"]!.schema);
    expect(schema["required"]).toEqual(expect.arrayContaining(["connection_name", "oauth_flow_type", "client_id", "token_url"]));
    expect(schema["additionalProperties"]).toBe(false);
  });

  it("is structurally OpenAPI 3.1 and every $ref points at an existing component", () => {
    expect(document["openapi"]).toBe("3.1.0");
    expect(document["info"]).toMatchObject({ title: "OAuth Helper API", version: expect.any(String) });
    for (const ref of refsIn(document)) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\/[^/]+$/);
      expect(components[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
    }
    const operations = Object.values(paths).flatMap((item) => HTTP_METHODS.filter((key) => key in item).map((key) => item[key] as Json));
    const ids = operations.map((operation) => operation["operationId"]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations) expect(Object.keys(operation["responses"] as Json).length).toBeGreaterThan(0);
  });
});

describe("buildOpenApiDocument", () => {
  const noop = async () => ({ status: 204 });

  it("suffixes the method to the operationId of every method after a route's first", () => {
    const route = defineRoute({ name: "callback", methods: ["GET", "POST"], route: "cb", auth: "anonymous", summary: "s", tags: [], responses: { 200: { description: "ok" } }, handler: noop });
    const built = buildOpenApiDocument([route]) as { paths: Record<string, Record<string, Json>> };
    expect(built.paths["/cb"]!["get"]!["operationId"]).toBe("callback");
    expect(built.paths["/cb"]!["post"]!["operationId"]).toBe("callbackPost");
  });

  it("names the input form of a schema <id>Input only where it differs from the output", () => {
    const same = z.strictObject({ a: z.string() }).meta({ id: "TestSame" });
    const differs = z.object({ b: z.string().default("x"), same }).meta({ id: "TestDiffers" });
    const route = defineRoute({ name: "echo", methods: ["POST"], route: "echo", auth: "anonymous", summary: "s", tags: [], body: differs, responses: { 200: { description: "ok", schema: differs } }, handler: noop });
    const built = buildOpenApiDocument([route]) as { components: { schemas: Record<string, Json> } };
    expect(Object.keys(built.components.schemas).sort()).toEqual(["TestDiffers", "TestDiffersInput", "TestSame"]);
    expect(built.components.schemas["TestDiffersInput"]!["required"]).toEqual(["same"]);
  });

  it("documents each timer as POST /admin/functions/{name} outside /api, answering 202", () => {
    const timer: TimerRoute = { name: "probeTimer", schedule: () => "0 0 * * * *", handler: async () => {} };
    const built = buildOpenApiDocument([], [timer]) as { paths: Record<string, Json>; components: Json };
    const item = built.paths["/admin/functions/probeTimer"] as { servers: unknown; post: { responses: Json; security: unknown } };
    expect(item.servers).toEqual([{ url: "/" }]);
    expect(Object.keys(item.post.responses)).toContain("202");
    expect(item.post.security).toEqual([{ functionsKey: [] }]);
    expect(built.components).toMatchObject({ securitySchemes: { functionsKey: { in: "header", name: "x-functions-key" } } });
  });
});
