import type { HttpRequest } from "@azure/functions";
import type { z } from "zod";
import { fail, ok, type Result } from "../services/result.js";

/** DESIGN §5: bodies over 64 KiB are refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface FieldError {
  field: string;
  message: string;
}

/** Turns zod issues into the `details` list of a 400 answer. */
export function fieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((part) => part !== "").join(".");
    const keys = "keys" in issue && Array.isArray(issue.keys) ? `: ${issue.keys.join(", ")}` : "";
    return { field: path === "" ? "(body)" : path, message: issue.message + keys };
  });
}

export function validationFailure(details: FieldError[]) {
  return fail("validation_failed", "The request is not valid; see details", { details });
}

/** Validates `value` with `schema`; a failure lists each bad field under `prefix`. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix: string): Result<z.output<S>> {
  const parsed = schema.safeParse(value);
  return parsed.success ? ok(parsed.data) : validationFailure(fieldErrors(parsed.error, prefix));
}

/** Reads a JSON body of at most MAX_BODY_BYTES and validates it. */
export async function readJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<Result<z.output<S>>> {
  const raw = await readLimitedText(request);
  if (!raw.ok) return raw;
  let value: unknown;
  try {
    value = JSON.parse(raw.value === "" ? "null" : raw.value);
  } catch {
    return fail("invalid_json", "The request body is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fail("invalid_json", "The request body must be a JSON object");
  }
  return parseWith(schema, value, "");
}

/** The body as text, refusing bodies over the limit before and after reading. */
export async function readLimitedText(request: HttpRequest): Promise<Result<string>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return tooLarge();
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) return tooLarge();
  return ok(new TextDecoder().decode(bytes));
}

const tooLarge = () => fail("payload_too_large", `The request body exceeds ${MAX_BODY_BYTES} bytes`);
