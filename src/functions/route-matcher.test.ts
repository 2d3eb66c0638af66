import { describe, expect, it } from "vitest";
import { defineRoute, type HttpRoute } from "./route.js";
import { RouteMatcher } from "./route-matcher.js";

const route = (name: string, template: string, methods: ("GET" | "POST")[]): HttpRoute =>
  defineRoute({ name, methods, route: template, auth: "anonymous", summary: name, tags: [], responses: {}, handler: async () => ({}) });

const matcher = new RouteMatcher([
  route("status", "oauth/workflows/{id}/status", ["GET"]),
  route("workflow", "oauth/workflows/{id}", ["GET"]),
  route("disabled", "oauth/workflows/disabled", ["GET"]),
  route("callback", "oauth/callback/{name}", ["GET", "POST"]),
]);

describe("RouteMatcher", () => {
  it("prefers a literal segment over a parameter", () => {
    expect(matcher.match("GET", "oauth/workflows/disabled")).toMatchObject({ kind: "match", route: { name: "disabled" } });
    expect(matcher.match("GET", "oauth/workflows/wf-1")).toMatchObject({ kind: "match", route: { name: "workflow" }, params: { id: "wf-1" } });
  });

  it("does not let a less specific template answer a method the literal one lacks", () => {
    expect(matcher.match("POST", "oauth/workflows/disabled")).toEqual({ kind: "method_not_allowed", allowed: ["GET"] });
  });

  it("decodes parameters and accepts a trailing slash", () => {
    expect(matcher.match("POST", "oauth/callback/my%20conn/")).toMatchObject({ kind: "match", params: { name: "my conn" } });
  });

  it("does not match across segments", () => {
    expect(matcher.match("GET", "oauth/callback/a/b")).toEqual({ kind: "not_found" });
  });
});
