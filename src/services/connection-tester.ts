import type { ProviderFetch } from "../oauth/provider-fetch.js";
import { ProviderRequestError } from "../oauth/provider-request-error.js";
import type { ConnectionRecord } from "../storage/connection-repository.js";
import type { StoredTokenSet } from "./token-service.js";

export type TestResult = "success" | "failed" | "skipped";

export interface TestOutcome {
  result: TestResult;
  message: string;
}

const GRAPH_ME = "https://graph.microsoft.com/v1.0/me";
const GOOGLE_USERINFO = "https://openidconnect.googleapis.com/v1/userinfo";

/** Where a connection's token can be tried: a provider's own identity endpoint, or the configured test_url. */
export function testTarget(record: ConnectionRecord): string | undefined {
  const host = hostOf(record.authorization_url ?? record.token_url);
  // App-only (client credentials) tokens have no user, so /me would always fail for them.
  if (host === "login.microsoftonline.com" && record.oauth_flow_type !== "client_credentials") return GRAPH_ME;
  if ((host === "accounts.google.com" || host === "oauth2.googleapis.com") && record.oauth_flow_type !== "client_credentials") return GOOGLE_USERINFO;
  return record.test_url;
}

/** Calls the test target with the access token; success on 2xx. */
export class ConnectionTester {
  constructor(private readonly providerFetch: ProviderFetch) {}

  async test(record: ConnectionRecord, tokens: StoredTokenSet | undefined): Promise<TestOutcome> {
    const target = testTarget(record);
    if (target === undefined) {
      return { result: "skipped", message: "No test endpoint is known for this provider; set test_url to have the token tried" };
    }
    if (tokens?.access_token === undefined) return { result: "failed", message: "The connection has no access token yet" };
    try {
      const response = await this.providerFetch(target, {
        method: "GET",
        headers: { authorization: `Bearer ${tokens.access_token}`, accept: "application/json" },
      });
      await response.body?.cancel();
      if (response.ok) return { result: "success", message: `${new URL(target).host} accepted the token (HTTP ${response.status})` };
      return { result: "failed", message: `${new URL(target).host} refused the token: HTTP ${response.status}${reasonFor(response.status)}` };
    } catch (error) {
      if (error instanceof ProviderRequestError) return { result: "failed", message: `Testing the token failed: ${error.message}` };
      throw error;
    }
  }
}

function reasonFor(status: number): string {
  if (status === 401) return " (the token is not valid there)";
  if (status === 403) return " (the token lacks a scope or permission needed there)";
  return "";
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
