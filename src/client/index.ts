export { OAuthHelperClient, type OAuthHelperClientOptions } from "./oauth-helper-client.js";
export type { OAuthConnectionToken } from "./connection-token.js";
export {
  AuthenticationError,
  ConnectionNotFoundError,
  ConnectionNotReadyError,
  OAuthHelperError,
  WorkflowDisabledError,
} from "./errors.js";
