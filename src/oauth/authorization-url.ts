import { calculatePKCECodeChallenge, generateRandomCodeVerifier } from "oauth4webapi";

export interface AuthorizationRequest {
  authorization_url: string;
  client_id: string;
  redirect_uri: string;
  scopes: string[];
  state: string;
  authorization_params: Record<string, string>;
}

/** A PKCE verifier and its S256 challenge (RFC 7636 §4.1-4.2). */
export async function createPkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = generateRandomCodeVerifier();
  return { verifier, challenge: await calculatePKCECodeChallenge(verifier) };
}

/** The URL the admin's browser is sent to (RFC 6749 §4.1.1), keeping any query the endpoint already has. */
export function buildAuthorizationUrl(request: AuthorizationRequest, codeChallenge: string | undefined): string {
  const url = new URL(request.authorization_url);
  for (const [name, value] of Object.entries(request.authorization_params)) url.searchParams.set(name, value);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", request.client_id);
  url.searchParams.set("redirect_uri", request.redirect_uri);
  if (request.scopes.length > 0) url.searchParams.set("scope", request.scopes.join(" "));
  url.searchParams.set("state", request.state);
  if (codeChallenge !== undefined) {
    url.searchParams.set("code_challenge", codeChallenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  return url.toString();
}
