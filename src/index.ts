import { app } from "./functions/azure-functions.js";
import { bindHttpRoute } from "./functions/pipeline.js";
import { httpRoutes, timerRoutes } from "./functions/route-table.js";
import { loadSettings } from "./settings.js";
import { createAppServices, type AppServices } from "./services/app-services.js";

/**
 * Azure Functions entry point (package.json `main`): registers every function of the route table.
 * Settings are validated here, at load, so a bad setting stops the worker with a message naming it.
 */
const settings = loadSettings();
let services: Promise<AppServices> | undefined;
const getServices = () => {
  services ??= createAppServices(settings).catch((error: unknown) => {
    services = undefined;
    throw error;
  });
  return services;
};

for (const route of httpRoutes) {
  app.http(route.name, { methods: [...route.methods], route: route.route, authLevel: "anonymous", handler: bindHttpRoute(route, getServices) });
}

for (const timer of timerRoutes) {
  app.timer(timer.name, {
    schedule: timer.schedule(settings),
    handler: async (_timer, context) => {
      const ready = await getServices();
      await timer.handler(ready, context);
    },
  });
}
