import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/** Where the CLI writes: one line per call, so tests can capture output without a terminal. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

interface ApiTarget {
  apiUrl: string;
  adminKey: string;
}

interface KeySummary {
  id: string;
  name: string;
  role: string;
  org_id: string;
  created_at: string;
  last_used_at: string | null;
  revoked: boolean;
}

type ApiAnswer = { ok: true; body: unknown } | { ok: false };

const USAGE = [
  "Usage: npm run keys -- <command> [options]",
  "",
  "Commands:",
  "  create --role <admin|workflow> --org <org-id|GLOBAL> --name <name>",
  "                 issue an API key; the key is printed once and never again",
  "  list           list API keys (id, name, role, org, created, last used, revoked)",
  "  revoke <id>    revoke an API key; it stops working at once",
  "  help           show this text",
  "",
  "Environment:",
  "  OAUTH_URL        base URL of the service, e.g. http://localhost:7071 (a trailing /api is fine)",
  "  OAUTH_ADMIN_KEY  a GLOBAL admin API key",
];

/** Runs the key CLI (`npm run keys -- ...`) and resolves to its exit code: 0 ok, 1 failed call, 2 usage. */
export async function runKeysCli(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  fetchImpl: typeof fetch = fetch,
): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (command === undefined || command === "help" || values.help === true) {
    USAGE.forEach((line) => io.out(line));
    return 0;
  }

  let action: (target: ApiTarget, safeIo: CliIo) => Promise<number>;
  if (command === "create") {
    const { role, org, name } = values;
    const missing = (["role", "org", "name"] as const).filter((option) => values[option] === undefined);
    if (missing.length > 0 || role === undefined || org === undefined || name === undefined) {
      return usageError(io, `create needs ${missing.map((option) => `--${option}`).join(", ")}`);
    }
    if (rest.length > 0) return usageError(io, `create takes no arguments besides its options (got ${rest.join(" ")})`);
    action = (target, safeIo) => createKey(target, safeIo, fetchImpl, { name, role, org_id: org });
  } else if (command === "list") {
    if (rest.length > 0) return usageError(io, "list takes no arguments");
    action = (target, safeIo) => listKeys(target, safeIo, fetchImpl);
  } else if (command === "revoke") {
    const [id, ...extra] = rest;
    if (id === undefined || extra.length > 0) return usageError(io, "revoke needs exactly one key id");
    action = (target, safeIo) => revokeKey(target, safeIo, fetchImpl, id);
  } else {
    return usageError(io, `unknown command "${command}"`);
  }

  const target = readTarget(env, io);
  if (target === undefined) return 2;
  return action(target, redacting(io, target.adminKey));
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: "string" },
      org: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function createKey(target: ApiTarget, io: CliIo, fetchImpl: typeof fetch, body: { name: string; role: string; org_id: string }): Promise<number> {
  const answer = await callApi(target, io, fetchImpl, "POST", "oauth/keys", body);
  if (!answer.ok) return 1;
  const created = answer.body as KeySummary & { key: string };
  io.out(`Created API key "${created.name}"`);
  io.out(`  id:    ${created.id}`);
  io.out(`  role:  ${created.role}`);
  io.out(`  org:   ${created.org_id}`);
  io.out(`  key:   ${created.key}`);
  io.out("");
  io.out("Store the key now: it is not shown again (only its hash is kept).");
  return 0;
}

async function listKeys(target: ApiTarget, io: CliIo, fetchImpl: typeof fetch): Promise<number> {
  const answer = await callApi(target, io, fetchImpl, "GET", "oauth/keys");
  if (!answer.ok) return 1;
  const { keys } = answer.body as { keys: KeySummary[] };
  if (keys.length === 0) {
    io.out("No API keys.");
    return 0;
  }
  const header = ["ID", "NAME", "ROLE", "ORG", "CREATED (UTC)", "LAST USED (UTC)", "REVOKED"];
  const rows = keys.map((key) => [
    key.id,
    key.name,
    key.role,
    key.org_id,
    formatTime(key.created_at),
    key.last_used_at === null ? "never" : formatTime(key.last_used_at),
    key.revoked ? "yes" : "no",
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) io.out(row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
  return 0;
}

async function revokeKey(target: ApiTarget, io: CliIo, fetchImpl: typeof fetch, id: string): Promise<number> {
  const answer = await callApi(target, io, fetchImpl, "DELETE", `oauth/keys/${encodeURIComponent(id)}`);
  if (!answer.ok) return 1;
  const revoked = answer.body as { id: string; revoked_at: string };
  io.out(`Revoked API key ${revoked.id} at ${revoked.revoked_at}; it no longer works.`);
  return 0;
}

/** One API call; failures are reported on io.err and come back as `{ ok: false }`. */
async function callApi(target: ApiTarget, io: CliIo, fetchImpl: typeof fetch, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const url = `${target.apiUrl}/${path}`;
  const headers: Record<string, string> = { authorization: `Bearer ${target.adminKey}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    text = await response.text();
  } catch (error) {
    io.err(`Could not reach OAuth Helper at ${url}: ${describeNetworkError(error)}`);
    return { ok: false };
  }
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok) {
    if (json === undefined) {
      io.err(`Unexpected answer from ${url}: HTTP ${response.status} without a JSON body`);
      return { ok: false };
    }
    return { ok: true, body: json };
  }
  reportFailure(io, url, response.status, json);
  return { ok: false };
}

function reportFailure(io: CliIo, url: string, status: number, json: unknown): void {
  const failure = (json ?? {}) as { error?: unknown; message?: unknown; details?: unknown };
  if (typeof failure.error === "string") {
    io.err(`${failure.error}: ${typeof failure.message === "string" ? failure.message : `HTTP ${status}`}`);
  } else {
    io.err(`HTTP ${status} from ${url}`);
  }
  if (Array.isArray(failure.details)) {
    for (const detail of failure.details as Array<{ field?: unknown; message?: unknown }>) {
      io.err(`  ${String(detail.field ?? "?")}: ${String(detail.message ?? "")}`);
    }
  }
  if (status === 401 || status === 403) io.err("(OAUTH_ADMIN_KEY must be an active GLOBAL admin key)");
}

function readTarget(env: Record<string, string | undefined>, io: CliIo): ApiTarget | undefined {
  const rawUrl = env.OAUTH_URL?.trim();
  const adminKey = env.OAUTH_ADMIN_KEY?.trim();
  if (rawUrl === undefined || rawUrl === "") {
    io.err("OAUTH_URL is not set: set it to the service's base URL, e.g. OAUTH_URL=http://localhost:7071");
    return undefined;
  }
  if (adminKey === undefined || adminKey === "") {
    io.err("OAUTH_ADMIN_KEY is not set: set it to a GLOBAL admin API key");
    return undefined;
  }
  let base: URL;
  try {
    base = new URL(rawUrl);
  } catch {
    io.err(`OAUTH_URL is not an absolute URL: ${rawUrl}`);
    return undefined;
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    io.err(`OAUTH_URL must be an http or https URL: ${rawUrl}`);
    return undefined;
  }
  // People paste either the host's base or the API's base; both mean the same service.
  const path = base.pathname.replace(/\/+$/, "").replace(/\/api$/, "");
  return { apiUrl: `${base.origin}${path}/api`, adminKey };
}

/** Every line passes through here, so the admin key cannot reach a terminal even via a server echo. */
function redacting(io: CliIo, adminKey: string): CliIo {
  const scrub = (line: string) => line.split(adminKey).join("[OAUTH_ADMIN_KEY]");
  return { out: (line) => io.out(scrub(line)), err: (line) => io.err(scrub(line)) };
}

function usageError(io: CliIo, message: string): number {
  io.err(`Error: ${message}`);
  io.err('Run "npm run keys -- help" for usage.');
  return 2;
}

function describeNetworkError(error: unknown): string {
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND, ...) in `cause`.
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? cause.message : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return detail === undefined ? message : `${message} (${detail})`;
}

function formatTime(iso: string): string {
  return iso.replace("T", " ").slice(0, 16);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const io: CliIo = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };
  void runKeysCli(process.argv.slice(2), process.env, io).then((code) => {
    process.exitCode = code;
  });
}
