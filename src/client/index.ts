export { OAuthHelperClient, type OAuthHelperClientOptions } from "./oauth-helper-client.js";
export type { OAuthConnectionToken } from "./connection-token.js";
export type { ConfigType, ConfigValue } from "./config-value.js";
export {
  AuthenticationError,
  ConfigNotFoundError,
  ConnectionNotFoundError,
  ConnectionNotReadyError,
  OAuthHelperError,
  WorkflowDisabledError,
} from "./errors.js";
