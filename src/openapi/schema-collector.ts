import { z } from "zod";

/** Which side of a schema to describe: what a client sends (`input`) or what the service answers (`output`). */
export type Io = "input" | "output";

/** A JSON value shaped as an object, as JSON Schema and OpenAPI objects are. */
export type JsonObject = Record<string, unknown>;

const DEFS_PREFIX = "#/$defs/";
const COMPONENTS_PREFIX = "#/components/schemas/";

/**
 * Converts zod schemas to OpenAPI 3.1 schema objects. Schemas with `.meta({ id })` become shared
 * components; an id whose input and output forms differ gets a second component, `<id>Input`.
 */
export class SchemaCollector {
  private readonly named: Record<Io, Map<string, JsonObject>> = { input: new Map(), output: new Map() };
  private readonly roots: { io: Io; schema: JsonObject }[] = [];

  /** Converts one schema; its `$ref`s are pointed at components by `components()`, which rewrites it in place. */
  convert(schema: z.ZodType, io: Io): JsonObject {
    const json = z.toJSONSchema(schema, { io, unrepresentable: "throw", cycles: "ref", reused: "inline", override: dropSafeIntegerBounds });
    const root: JsonObject = { ...json };
    const defs = (root["$defs"] ?? {}) as Record<string, JsonObject>;
    delete root["$schema"];
    delete root["$defs"];
    for (const [id, def] of Object.entries(defs)) {
      // zod names unnamed recursive schemas __schemaN per conversion, so they would collide across conversions.
      if (id.startsWith("__schema")) throw new Error(`A recursive schema needs .meta({ id }) to be documented (found ${id})`);
      const known = this.named[io].get(id);
      if (known !== undefined && stableJson(known) !== stableJson(def)) throw new Error(`Two different schemas share the id "${id}"`);
      this.named[io].set(id, def);
    }
    this.roots.push({ io, schema: root });
    return root;
  }

  /** Names the components and rewrites every `$ref` (in them and in converted schemas); call once, after every `convert`. */
  components(): Record<string, JsonObject> {
    const differing = this.differingIds();
    const nameOf = (id: string, io: Io) => (io === "input" && differing.has(id) ? `${id}Input` : id);
    const components = new Map<string, { id: string; schema: JsonObject }>();
    for (const io of ["output", "input"] as const) {
      for (const [id, def] of this.named[io]) {
        const name = nameOf(id, io);
        const taken = components.get(name);
        // An id whose two forms agree is one component; any other clash is two schemas fighting over a name.
        if (taken !== undefined && taken.id !== id) throw new Error(`Component name "${name}" is used by ids "${taken.id}" and "${id}"`);
        if (taken === undefined) components.set(name, { id, schema: rewriteRefs(def, (ref) => nameOf(ref, io)) });
      }
    }
    for (const { io, schema } of this.roots) rewriteRefs(schema, (ref) => nameOf(ref, io));
    const names = [...components.keys()].sort(compareStrings);
    return Object.fromEntries(names.map((name) => [name, components.get(name)!.schema]));
  }

  /** Ids whose input and output forms differ, directly or through a named schema they refer to. */
  private differingIds(): Set<string> {
    const both = [...this.named.input.keys()].filter((id) => this.named.output.has(id));
    const differing = new Set(both.filter((id) => stableJson(this.named.input.get(id)) !== stableJson(this.named.output.get(id))));
    let grew = true;
    while (grew) {
      grew = false;
      for (const id of both) {
        if (differing.has(id)) continue;
        const refs = [...refsIn(this.named.input.get(id)), ...refsIn(this.named.output.get(id))];
        if (refs.some((ref) => differing.has(ref))) {
          differing.add(id);
          grew = true;
        }
      }
    }
    return differing;
  }
}

/** `z.number().int()` bounds itself to the safe integers; saying so on every integer is noise. */
function dropSafeIntegerBounds({ jsonSchema }: { jsonSchema: { type?: unknown; minimum?: number; maximum?: number } }): void {
  if (jsonSchema.type !== "integer") return;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
}

/** Rewrites `#/$defs/<id>` references to components, in place, and returns the same object. */
function rewriteRefs(value: JsonObject, nameOf: (id: string) => string): JsonObject {
  walk(value, (node) => {
    const ref = node["$ref"];
    if (typeof ref === "string" && ref.startsWith(DEFS_PREFIX)) {
      node["$ref"] = COMPONENTS_PREFIX + encodePointer(nameOf(decodePointer(ref.slice(DEFS_PREFIX.length))));
    }
  });
  return value;
}

function refsIn(value: JsonObject | undefined): string[] {
  const refs: string[] = [];
  walk(value, (node) => {
    const ref = node["$ref"];
    if (typeof ref === "string" && ref.startsWith(DEFS_PREFIX)) refs.push(decodePointer(ref.slice(DEFS_PREFIX.length)));
  });
  return refs;
}

function walk(value: unknown, visit: (node: JsonObject) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (typeof value === "object" && value !== null) {
    visit(value as JsonObject);
    for (const child of Object.values(value)) walk(child, visit);
  }
}

const decodePointer = (segment: string) => segment.replace(/~1/g, "/").replace(/~0/g, "~");
const encodePointer = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

/** JSON with sorted keys, so equal schemas compare equal whatever order their keys were built in. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === "object" && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => compareStrings(a, b)))
      : item,
  );
}

/** Code-unit order, not the locale's, so the document is the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
