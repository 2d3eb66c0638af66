import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A provider token endpoint on 127.0.0.1 that grants any POST /token a fresh one-day token. */
export interface TokenEndpoint {
  url: string;
  /** How many tokens it granted: after set-up, any more mean the route refreshed during the bench. */
  granted(): number;
  close(): Promise<void>;
}

/** Starts the token endpoint on a free port. */
export async function startTokenEndpoint(): Promise<TokenEndpoint> {
  let granted = 0;
  const server = createServer((request, response) => {
    // Drain the form body: the grant is the same whatever the client sends.
    request.resume();
    request.on("end", () => {
      if (request.method !== "POST" || request.url?.split("?")[0] !== "/token") {
        response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}');
        return;
      }
      granted++;
      const body = { access_token: randomBytes(24).toString("base64url"), token_type: "Bearer", expires_in: 86_400 };
      response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
