import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** How the endpoint answers: the lifetime of the tokens it grants and how long it waits before answering. */
export interface GrantBehaviour {
  expiresInSeconds: number;
  latencyMs: number;
}

/** A provider token endpoint on 127.0.0.1 that grants any POST /token a fresh token (one day, at once, until told otherwise). */
export interface TokenEndpoint {
  url: string;
  /** How many tokens it granted: after set-up, any more mean the route refreshed during the bench. */
  granted(): number;
  /** The most token requests it has held at once since the last `resetPeak`. */
  peakInFlight(): number;
  resetPeak(): void;
  /** Applies to requests that arrive from now on. */
  behave(behaviour: GrantBehaviour): void;
  close(): Promise<void>;
}

/** Starts the token endpoint on a free port. */
export async function startTokenEndpoint(): Promise<TokenEndpoint> {
  let granted = 0;
  let inFlight = 0;
  let peak = 0;
  let behaviour: GrantBehaviour = { expiresInSeconds: 86_400, latencyMs: 0 };
  const server = createServer((request, response) => {
    // Counted from arrival to the last byte of the answer: what the caller sees as one request in flight.
    inFlight++;
    peak = Math.max(peak, inFlight);
    response.once("close", () => inFlight--);
    const { expiresInSeconds, latencyMs } = behaviour;
    // Drain the form body: the grant is the same whatever the client sends.
    request.resume();
    request.on("end", () => {
      if (request.method !== "POST" || request.url?.split("?")[0] !== "/token") {
        response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}');
        return;
      }
      const answer = () => {
        granted++;
        const body = { access_token: randomBytes(24).toString("base64url"), token_type: "Bearer", expires_in: expiresInSeconds };
        response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
      };
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    granted: () => granted,
    peakInFlight: () => peak,
    resetPeak: () => {
      peak = inFlight;
    },
    behave: (next) => {
      behaviour = { ...next };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
