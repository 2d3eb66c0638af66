/** Base of every error the client throws: `code` is the service's `error` code (or a client-side one), `status` the HTTP status (undefined when no answer arrived). */
export class OAuthHelperError extends Error {
  override name: string = "OAuthHelperError";
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, status: number | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

/** No connection of that name exists in the org (nor in GLOBAL). */
export class ConnectionNotFoundError extends OAuthHelperError {
  override name: string = "ConnectionNotFoundError";
  readonly connectionName: string;

  constructor(connectionName: string, status: number, message: string) {
    super("connection_not_found", status, message);
    this.connectionName = connectionName;
  }
}

/** No config entry of that key exists in the org (nor in GLOBAL). */
export class ConfigNotFoundError extends OAuthHelperError {
  override name: string = "ConfigNotFoundError";
  readonly key: string;

  constructor(key: string, status: number, message: string) {
    super("config_not_found", status, message);
    this.key = key;
  }
}

/** The connection exists but has no usable token yet (or any more); an admin must (re)connect it. */
export class ConnectionNotReadyError extends OAuthHelperError {
  override name: string = "ConnectionNotReadyError";
  readonly connectionName: string;
  /** The connection's status, e.g. `not_connected`, `waiting_callback`, `failed`. */
  readonly connectionStatus: string;
  readonly statusMessage: string | null;

  constructor(connectionName: string, status: number, message: string, connectionStatus: string, statusMessage: string | null) {
    super("connection_not_ready", status, message);
    this.connectionName = connectionName;
    this.connectionStatus = connectionStatus;
    this.statusMessage = statusMessage;
  }
}

/** The workflow was disabled (typically because a connection it depends on was deleted); an admin must enable it. */
export class WorkflowDisabledError extends OAuthHelperError {
  override name: string = "WorkflowDisabledError";
  readonly workflowId: string;
  readonly reason: string | null;

  constructor(workflowId: string, status: number, message: string, reason: string | null) {
    super("workflow_disabled", status, message);
    this.workflowId = workflowId;
    this.reason = reason;
  }
}

/** The API key is missing, unknown, revoked (401) or not allowed to do this (403). */
export class AuthenticationError extends OAuthHelperError {
  override name: string = "AuthenticationError";
}
