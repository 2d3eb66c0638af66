/** Hosts where plain http is tolerated with OAUTH_ALLOW_INSECURE_LOOPBACK (RFC 8252 §8.3 loopback). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);
