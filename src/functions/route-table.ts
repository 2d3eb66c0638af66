import { authorizeConnectionRoute, cancelAuthorizationRoute, testConnectionRoute } from "./connections-authorize.js";
import { createConnectionRoute } from "./connections-create.js";
import { connectionEventsRoute, deleteConnectionRoute, updateConnectionRoute } from "./connections-manage.js";
import { disableWorkflowRoute, disabledWorkflowsRoute, enableWorkflowRoute, listDependenciesRoute, workflowStatusRoute } from "./workflows.js";
import { deleteConfigRoute, getConfigRoute, listConfigRoute, putConfigRoute } from "./config.js";
import { getCredentialsRoute } from "./credentials.js";
import { getConnectionRoute } from "./connections-get.js";
import { listConnectionsRoute } from "./connections-list.js";
import { healthRoute } from "./health.js";
import { createKeyRoute, listKeysRoute, revokeKeyRoute } from "./keys.js";
import { oauthCallbackRoute } from "./oauth-callback.js";
import { refreshConnectionRoute, refreshStatusRoute, refreshTimer } from "./refresh.js";
import { registerDependencyRoute } from "./workflow-dependencies.js";
import type { HttpRoute, TimerRoute } from "./route.js";

/** The single source of truth for routes: Azure registrations, the embedded host and the OpenAPI document. */
export const httpRoutes: readonly HttpRoute[] = [
  healthRoute,
  createConnectionRoute,
  listConnectionsRoute,
  getConnectionRoute,
  updateConnectionRoute,
  deleteConnectionRoute,
  connectionEventsRoute,
  authorizeConnectionRoute,
  cancelAuthorizationRoute,
  testConnectionRoute,
  oauthCallbackRoute,
  getCredentialsRoute,
  registerDependencyRoute,
  listDependenciesRoute,
  workflowStatusRoute,
  disabledWorkflowsRoute,
  enableWorkflowRoute,
  disableWorkflowRoute,
  refreshConnectionRoute,
  refreshStatusRoute,
  createKeyRoute,
  listKeysRoute,
  revokeKeyRoute,
  listConfigRoute,
  getConfigRoute,
  putConfigRoute,
  deleteConfigRoute,
];

/** Timer functions. */
export const timerRoutes: readonly TimerRoute[] = [refreshTimer];
