import type { HttpRoute } from "./route.js";

interface CompiledRoute {
  route: HttpRoute;
  pattern: RegExp;
  paramNames: string[];
  /** Literal segments win over parameters, as in the Functions host (`workflows/disabled` before `workflows/{id}`). */
  literalSegments: number;
}

export type RouteMatch =
  | { kind: "match"; route: HttpRoute; params: Record<string, string> }
  | { kind: "method_not_allowed"; allowed: string[] }
  | { kind: "not_found" };

/** Matches `/api/...` paths against route templates such as `oauth/connections/{name}`. */
export class RouteMatcher {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly HttpRoute[]) {
    this.#routes = routes.map(compile).sort((a, b) => b.literalSegments - a.literalSegments);
  }

  /** `path` is the part after `/api/`, still percent-encoded. */
  match(method: string, path: string): RouteMatch {
    const allowed = new Set<string>();
    let matchedTemplate: string | undefined;
    for (const compiled of this.#routes) {
      const found = compiled.pattern.exec(path);
      if (found === null) continue;
      // Once a more specific template matched the path, a less specific one must not answer it.
      if (matchedTemplate !== undefined && matchedTemplate !== templateShape(compiled.route.route)) continue;
      matchedTemplate = templateShape(compiled.route.route);
      if (!compiled.route.methods.includes(method.toUpperCase() as never)) {
        compiled.route.methods.forEach((m) => allowed.add(m));
        continue;
      }
      const params: Record<string, string> = {};
      for (const [index, name] of compiled.paramNames.entries()) {
        const raw = found[index + 1] ?? "";
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      }
      return { kind: "match", route: compiled.route, params };
    }
    return allowed.size > 0 ? { kind: "method_not_allowed", allowed: [...allowed] } : { kind: "not_found" };
  }
}

function compile(route: HttpRoute): CompiledRoute {
  const segments = route.route.split("/");
  const paramNames: string[] = [];
  const source = segments
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1] === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      paramNames.push(param[1]);
      return "([^/]+)";
    })
    .join("/");
  return {
    route,
    pattern: new RegExp(`^${source}/?$`, "i"),
    paramNames,
    literalSegments: segments.filter((segment) => !segment.startsWith("{")).length,
  };
}

const templateShape = (template: string) => template.replace(/\{\w+\}/g, "{}");
