import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.js";
import type { Dispatcher } from "./dispatcher.js";

/** Bodies above this are refused before a handler sees them; handlers apply the 64 KiB API limit. */
const MAX_READ_BYTES = 1024 * 1024;

export interface EmbeddedHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the dispatcher over node:http, standing in for the Functions host on this machine. */
export async function startEmbeddedHost(options: {
  dispatcher: Dispatcher;
  port: number;
  hostname?: string;
  logger: Logger;
}): Promise<EmbeddedHost> {
  const hostname = options.hostname ?? "127.0.0.1";
  const server = createServer((request, response) => {
    handle(options.dispatcher, request, response, hostname).catch((error: unknown) => {
      options.logger.error("embedded host failed to answer", { error_message: (error as Error).message });
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: "internal_error", message: "Unexpected error" }));
    });
  });
  server.keepAliveTimeout = 65_000;
  await listen(server, options.port, hostname);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function handle(dispatcher: Dispatcher, request: IncomingMessage, response: ServerResponse, hostname: string): Promise<void> {
  const body = await readBody(request);
  if (body === undefined) {
    response.writeHead(413, { "content-type": "application/json", connection: "close" });
    response.end(JSON.stringify({ error: "payload_too_large", message: `The request body exceeds ${MAX_READ_BYTES} bytes` }));
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const host = headers.host ?? hostname;
  const result = await dispatcher.dispatch({ method: request.method ?? "GET", url: `http://${host}${request.url ?? "/"}`, headers, body });
  response.writeHead(result.status, Object.fromEntries(result.headers));
  response.end(result.body);
}

/** The whole body, or undefined once it passes MAX_READ_BYTES. */
function readBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_READ_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
