import type { Settings } from "../settings.js";

/** The callback URL a provider must have registered for a connection (the same for every org). */
export const redirectUriFor = (settings: Pick<Settings, "publicBaseUrl">, name: string) =>
  `${settings.publicBaseUrl}/api/oauth/callback/${encodeURIComponent(name)}`;
