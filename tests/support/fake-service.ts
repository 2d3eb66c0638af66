import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the fake service received. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the fake service answers: JSON `body`, or a `raw` HTML body. */
export interface Reply {
  status: number;
  body?: unknown;
  raw?: string;
}

/**
 * A stand-in for the service's HTTP contract on 127.0.0.1, for SDK unit tests; the SDK's end-to-end
 * tests run against the real service.
 */
export async function startFakeService(answer: (request: SeenRequest) => Reply): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const seen = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") };
      const { status, body, raw } = answer(seen);
      response.writeHead(status, { "content-type": raw === undefined ? "application/json" : "text/html", "cache-control": "no-store" });
      response.end(raw ?? (body === undefined ? "" : JSON.stringify(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}
