import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the fake vault received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  authorization: string | undefined;
  body: string;
  /** The status the fake answered with. */
  status: number;
}

/** A running fake vault: its base URL, what it received, and a way to make a name refuse writes. */
export interface FakeKeyVault {
  url: string;
  requests: RecordedRequest[];
  /** Answers every later request about this name with 403, as a vault without the needed permission does. */
  forbid(name: string): void;
  close(): Promise<void>;
}

interface Version {
  version: string;
  value: string;
  created: number;
}

interface DeletedSecret {
  versions: Version[];
  deletedDate: number;
}

const CHALLENGE = 'Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net"';
const RECOVERY_LEVEL = "Recoverable+Purgeable";

/**
 * Serves the subset of the Key Vault secrets REST API that KeyVaultSecretStore uses, with soft delete
 * switched on (as it always is for new vaults) and the bearer challenge the SDK expects.
 */
export async function startFakeKeyVault(): Promise<FakeKeyVault> {
  const live = new Map<string, Version[]>();
  const deleted = new Map<string, DeletedSecret>();
  const forbidden = new Set<string>();
  const requests: RecordedRequest[] = [];
  const recordOf = new WeakMap<ServerResponse, RecordedRequest>();
  let url = "";

  const now = () => Math.floor(Date.now() / 1000);
  const attributes = (created: number) => ({ enabled: true, created, updated: created, recoveryLevel: RECOVERY_LEVEL, recoverableDays: 90 });
  const bundle = (name: string, v: Version, withValue = true) => ({
    ...(withValue ? { value: v.value } : {}),
    id: `${url}/secrets/${name}/${v.version}`,
    attributes: attributes(v.created),
  });
  const deletedBundle = (name: string, d: DeletedSecret) => {
    const latest = d.versions.at(-1)!;
    return {
      ...bundle(name, latest, false),
      recoveryId: `${url}/deletedsecrets/${name}`,
      deletedDate: d.deletedDate,
      scheduledPurgeDate: d.deletedDate + 90 * 86_400,
    };
  };

  function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const record = recordOf.get(res);
    if (record) record.status = status;
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  }
  const fail = (res: ServerResponse, status: number, code: string, message: string, inner?: string) =>
    send(res, status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });
  const notFound = (res: ServerResponse, name: string) =>
    fail(res, 404, "SecretNotFound", `A secret with (name/id) ${name} was not found in this key vault.`);

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const target = new URL(req.url ?? "/", url);
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: target.pathname,
      apiVersion: target.searchParams.get("api-version"),
      authorization: req.headers.authorization,
      body,
      status: 0,
    };
    requests.push(record);
    recordOf.set(res, record);
    if (!req.headers.authorization?.startsWith("Bearer ")) {
      send(res, 401, { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }, { "www-authenticate": CHALLENGE });
      return;
    }

    const [collection, name, ...rest] = target.pathname.split("/").filter(Boolean);
    if (name === undefined) return fail(res, 400, "BadParameter", "Unsupported path");
    if (forbidden.has(name)) {
      return fail(res, 403, "Forbidden", "Caller is not authorized to perform action on resource.", "ForbiddenByRbac");
    }

    const route = `${req.method} ${collection}${rest.length > 0 ? "/" + rest.join("/") : ""}`;
    if (collection === "secrets" && req.method === "GET") {
      const versions = live.get(name);
      const wanted = rest[0];
      const v = wanted ? versions?.find((x) => x.version === wanted) : versions?.at(-1);
      return v ? send(res, 200, bundle(name, v)) : notFound(res, name);
    }
    switch (route) {
      case "PUT secrets": {
        if (deleted.has(name)) {
          return fail(
            res,
            409,
            "Conflict",
            `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
            "ObjectIsDeletedButRecoverable",
          );
        }
        const { value } = JSON.parse(body || "{}") as { value?: unknown };
        if (typeof value !== "string") return fail(res, 400, "BadParameter", "Property value is required");
        const v: Version = { version: randomBytes(16).toString("hex"), value, created: now() };
        live.set(name, [...(live.get(name) ?? []), v]);
        return send(res, 200, bundle(name, v));
      }
      case "DELETE secrets": {
        const versions = live.get(name);
        if (!versions) return notFound(res, name);
        live.delete(name);
        const d: DeletedSecret = { versions, deletedDate: now() };
        deleted.set(name, d);
        return send(res, 200, deletedBundle(name, d));
      }
      case "GET deletedsecrets": {
        const d = deleted.get(name);
        return d ? send(res, 200, deletedBundle(name, d)) : fail(res, 404, "SecretNotFound", `Deleted Secret not found: ${name}`);
      }
      case "POST deletedsecrets/recover": {
        const d = deleted.get(name);
        if (!d) return fail(res, 404, "SecretNotFound", `Deleted Secret not found: ${name}`);
        deleted.delete(name);
        live.set(name, d.versions);
        return send(res, 200, bundle(name, d.versions.at(-1)!, false));
      }
      default:
        return fail(res, 400, "BadParameter", `The fake vault does not implement ${req.method} ${target.pathname}`);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString("utf8"));
      } catch (error) {
        fail(res, 500, "InternalError", String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    forbid: (name) => void forbidden.add(name),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
