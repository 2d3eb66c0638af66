import { join, resolve } from "node:path";
import { httpRoutes, timerRoutes } from "../functions/route-table.js";
import { consoleLogger } from "../logger.js";
import { createAppServices } from "../services/app-services.js";
import { GLOBAL_ORG, loadSettings, SettingsError } from "../settings.js";
import { startAzuriteTables, type AzuriteTableService } from "./azurite.js";
import { createDispatcher } from "./dispatcher.js";
import { startEmbeddedHost } from "./embedded-host.js";
import { parseNcrontab, resolveScheduleSetting } from "../timer/ncrontab.js";
import { startTimerScheduler } from "./timer-scheduler.js";

/** `npm start`: Azurite (unless AzureWebJobsStorage is set), the secret store, and every function over HTTP. */
async function main(): Promise<void> {
  let settings = loadSettings();
  const logger = consoleLogger;
  let azurite: AzuriteTableService | undefined;
  if (settings.storageConnectionString === undefined) {
    const location = resolve(join(settings.localDataDir, "azurite"));
    azurite = await startAzuriteTables({ location });
    settings = { ...settings, storageConnectionString: azurite.connectionString };
    logger.info("embedded Azurite Table service started", { location, port: azurite.port });
  }
  const services = await createAppServices(settings, { logger });
  const dispatcher = createDispatcher({ httpRoutes, timerRoutes, services });
  const host = await startEmbeddedHost({ dispatcher, port: settings.port, logger, hostname: "127.0.0.1" });
  // Issued only once the host listens: a key created by a start that then fails would never be shown.
  const firstKey = (await services.apiKeys.hasGlobalAdmin())
    ? undefined
    : await services.apiKeys.issue({ name: "admin", role: "admin", org_id: GLOBAL_ORG }, "first-start");
  const scheduler = startTimerScheduler(
    timerRoutes.map((timer) => ({
      name: timer.name,
      schedule: parseNcrontab(resolveScheduleSetting(timer.schedule(settings), process.env)),
      run: () => dispatcher.runTimer(timer.name),
    })),
    { clock: services.clock, onError: (name, error) => logger.error(`timer ${name} failed`, { error_message: String(error) }) },
  );

  const lines = [`OAuth Helper is listening on ${host.url}/api (public base URL ${settings.publicBaseUrl})`];
  if (firstKey !== undefined) {
    lines.push(
      "A GLOBAL admin API key was created. It is shown only this once; store it now:",
      `  ${firstKey.key}`,
      "(set OAUTH_BOOTSTRAP_ADMIN_KEY to pin a key of your own instead)",
    );
  }
  process.stdout.write(`\n${lines.join("\n")}\n\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    scheduler.stop();
    await host.close();
    await services.telemetry.shutdown();
    await azurite?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  const message = error instanceof SettingsError ? error.message : `Start-up failed: ${(error as Error).stack ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
