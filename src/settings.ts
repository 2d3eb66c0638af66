import { z } from "zod";
import { parseNcrontab, resolveScheduleSetting } from "./timer/ncrontab.js";

/** Organization ids: the tenant key of every table partition (DESIGN §4). */
export const ORG_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const GLOBAL_ORG = "GLOBAL";

const flag = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((value) => value === "true" || value === "1");

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const absoluteUrl = z
  .string()
  .optional()
  .refine((value) => value === undefined || value === "" || URL.canParse(value), "must be an absolute URL");

const environmentSchema = z.object({
  AzureWebJobsStorage: z.string().optional(),
  KEY_VAULT_URL: absoluteUrl,
  PORT: integer(7071, 1, 65535),
  OAUTH_PUBLIC_BASE_URL: absoluteUrl,
  OAUTH_BOOTSTRAP_ADMIN_KEY: z
    .string()
    .optional()
    .refine((value) => value === undefined || value === "" || value.length >= 32, "must be at least 32 characters"),
  OAUTH_ALLOW_INSECURE_LOOPBACK: flag,
  OAUTH_REFRESH_SCHEDULE: z.string().optional(),
  OAUTH_REFRESH_WINDOW_MINUTES: integer(240, 1, 7 * 24 * 60),
  OAUTH_REFRESH_ON_READ_SECONDS: integer(300, 0, 24 * 60 * 60),
  OAUTH_REFRESH_CONCURRENCY: integer(8, 1, 100),
  OAUTH_REFRESH_LEASE_SECONDS: integer(60, 5, 600),
  OAUTH_STATE_TTL_MINUTES: integer(15, 1, 24 * 60),
  OAUTH_RETURN_URL: absoluteUrl,
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().optional(),
  LOCAL_DATA_DIR: z.string().optional(),
  LOCAL_SECRET_KEY: z
    .string()
    .optional()
    .refine(
      (value) => value === undefined || value === "" || Buffer.from(value, "base64").length === 32,
      "must be 32 bytes, base64-encoded",
    ),
  WEBSITE_HOSTNAME: z.string().optional(),
});

/** The service's settings, read and validated once from the environment (DESIGN §3). */
export interface Settings {
  /** Table Storage connection string; undefined means "start the embedded Azurite". */
  storageConnectionString: string | undefined;
  keyVaultUrl: string | undefined;
  port: number;
  publicBaseUrl: string;
  bootstrapAdminKey: string | undefined;
  allowInsecureLoopback: boolean;
  refreshSchedule: string;
  refreshWindowMinutes: number;
  refreshOnReadSeconds: number;
  /** How many connections the timer refreshes at once. */
  refreshConcurrency: number;
  /** How long a refresh lease holds; a crashed holder blocks others at most this long. */
  refreshLeaseSeconds: number;
  stateTtlMinutes: number;
  returnUrl: string | undefined;
  applicationInsightsConnectionString: string | undefined;
  localDataDir: string;
  localSecretKey: Buffer | undefined;
  runningInAzure: boolean;
}

/** Thrown when a setting is invalid; the message names every bad setting. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

const blankToUndefined = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value);

/** Reads the settings from an environment; throws SettingsError naming each invalid one. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new SettingsError(`Invalid settings: ${problems.join("; ")}`);
  }
  const values = parsed.data;
  const websiteHostname = blankToUndefined(values.WEBSITE_HOSTNAME);
  const keyVaultUrl = blankToUndefined(values.KEY_VAULT_URL);
  const localSecretKey = blankToUndefined(values.LOCAL_SECRET_KEY);
  const runningInAzure = websiteHostname !== undefined && blankToUndefined(env.WEBSITE_INSTANCE_ID) !== undefined;
  if (runningInAzure && keyVaultUrl === undefined && localSecretKey === undefined) {
    // A key file on an App Service instance disk would not survive a scale-out or a restart on another worker.
    throw new SettingsError("Invalid settings: KEY_VAULT_URL (or LOCAL_SECRET_KEY) is required when running in Azure");
  }
  const refreshSchedule = blankToUndefined(values.OAUTH_REFRESH_SCHEDULE) ?? "0 */30 * * * *";
  try {
    parseNcrontab(resolveScheduleSetting(refreshSchedule, env));
  } catch (error) {
    throw new SettingsError(`Invalid settings: OAUTH_REFRESH_SCHEDULE ${(error as Error).message}`);
  }
  const publicBaseUrl =
    blankToUndefined(values.OAUTH_PUBLIC_BASE_URL) ??
    (websiteHostname !== undefined ? `https://${websiteHostname}` : `http://localhost:${values.PORT}`);
  return {
    storageConnectionString: blankToUndefined(values.AzureWebJobsStorage),
    keyVaultUrl,
    port: values.PORT,
    publicBaseUrl: publicBaseUrl.replace(/\/+$/, ""),
    bootstrapAdminKey: blankToUndefined(values.OAUTH_BOOTSTRAP_ADMIN_KEY),
    allowInsecureLoopback: values.OAUTH_ALLOW_INSECURE_LOOPBACK,
    refreshSchedule,
    refreshWindowMinutes: values.OAUTH_REFRESH_WINDOW_MINUTES,
    refreshOnReadSeconds: values.OAUTH_REFRESH_ON_READ_SECONDS,
    refreshConcurrency: values.OAUTH_REFRESH_CONCURRENCY,
    refreshLeaseSeconds: values.OAUTH_REFRESH_LEASE_SECONDS,
    stateTtlMinutes: values.OAUTH_STATE_TTL_MINUTES,
    returnUrl: blankToUndefined(values.OAUTH_RETURN_URL),
    applicationInsightsConnectionString: blankToUndefined(values.APPLICATIONINSIGHTS_CONNECTION_STRING),
    localDataDir: blankToUndefined(values.LOCAL_DATA_DIR) ?? ".data",
    localSecretKey: localSecretKey === undefined ? undefined : Buffer.from(localSecretKey, "base64"),
    runningInAzure,
  };
}
