import { describe, expect, it } from "vitest";
import { loadSettings, SettingsError } from "./settings.js";

describe("loadSettings", () => {
  it("uses the documented defaults for an empty environment", () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      storageConnectionString: undefined,
      keyVaultUrl: undefined,
      port: 7071,
      publicBaseUrl: "http://localhost:7071",
      allowInsecureLoopback: false,
      refreshSchedule: "0 */30 * * * *",
      refreshWindowMinutes: 240,
      refreshOnReadSeconds: 300,
      stateTtlMinutes: 15,
      localDataDir: ".data",
      runningInAzure: false,
    });
  });

  it("derives the public base URL from PORT locally and from WEBSITE_HOSTNAME in Azure", () => {
    expect(loadSettings({ PORT: "8080" }).publicBaseUrl).toBe("http://localhost:8080");
    expect(loadSettings({ WEBSITE_HOSTNAME: "my-app.azurewebsites.net" }).publicBaseUrl).toBe("https://my-app.azurewebsites.net");
    expect(loadSettings({ OAUTH_PUBLIC_BASE_URL: "https://oauth.example.com/" }).publicBaseUrl).toBe("https://oauth.example.com");
  });

  it.each([
    ["PORT", "not-a-number"],
    ["PORT", "70000"],
    ["OAUTH_STATE_TTL_MINUTES", "0"],
    ["OAUTH_REFRESH_WINDOW_MINUTES", "1.5"],
    ["OAUTH_ALLOW_INSECURE_LOOPBACK", "yes"],
    ["OAUTH_PUBLIC_BASE_URL", "not a url"],
    ["OAUTH_BOOTSTRAP_ADMIN_KEY", "too-short"],
    ["LOCAL_SECRET_KEY", "c2hvcnQ="],
    ["OAUTH_REFRESH_SCHEDULE", "*/30 * * * *"],
    ["OAUTH_REFRESH_CONCURRENCY", "0"],
  ])("stops start-up naming %s when it is %s", (name, value) => {
    expect(() => loadSettings({ [name]: value })).toThrow(SettingsError);
    expect(() => loadSettings({ [name]: value })).toThrow(name);
  });

  it("names every bad setting at once", () => {
    expect(() => loadSettings({ PORT: "x", OAUTH_STATE_TTL_MINUTES: "0" })).toThrow(/PORT.*OAUTH_STATE_TTL_MINUTES/);
  });

  it("requires KEY_VAULT_URL (or LOCAL_SECRET_KEY) on an Azure instance, where a key file would not survive", () => {
    const azure = { WEBSITE_HOSTNAME: "app.azurewebsites.net", WEBSITE_INSTANCE_ID: "abc" };
    expect(() => loadSettings(azure)).toThrow(/KEY_VAULT_URL/);
    expect(loadSettings({ ...azure, KEY_VAULT_URL: "https://vault.vault.azure.net" }).runningInAzure).toBe(true);
  });

  it("treats blank values as unset", () => {
    expect(loadSettings({ AzureWebJobsStorage: " ", OAUTH_RETURN_URL: "" })).toMatchObject({ storageConnectionString: undefined, returnUrl: undefined });
  });
});
