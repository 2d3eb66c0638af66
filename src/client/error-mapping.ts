import {
  AuthenticationError,
  ConfigNotFoundError,
  ConnectionNotFoundError,
  ConnectionNotReadyError,
  OAuthHelperError,
  WorkflowDisabledError,
} from "./errors.js";
import { redact, type ServiceAnswer } from "./service-http.js";

/** What the caller was doing, so an error can name it. */
export interface ErrorContext {
  /** The connection of a credentials or dependency request; the key of a config read. */
  connectionName?: string;
  configKey?: string;
  workflowId: string | undefined;
  secrets: readonly string[];
}

/** Maps a non-2xx answer (`{error, message, ...}`) to the typed error a workflow can catch. */
export function errorFromAnswer(answer: ServiceAnswer, context: ErrorContext): OAuthHelperError {
  const { status } = answer;
  const body = isRecord(answer.body) ? answer.body : {};
  const code = stringField(body, "error");
  // The service's message should never echo the key, but the message travels into workflow logs.
  const message = redact(stringField(body, "message") ?? defaultMessage(status, code), context.secrets);

  if (code === "workflow_disabled") {
    const workflowId = stringField(body, "workflow_id") ?? context.workflowId ?? "";
    return new WorkflowDisabledError(workflowId, status, message, stringField(body, "disabled_reason") ?? null);
  }
  if (status === 401 || status === 403) {
    return new AuthenticationError(code ?? (status === 401 ? "unauthorized" : "forbidden"), status, message);
  }
  if (code === "config_not_found") return new ConfigNotFoundError(context.configKey ?? "", status, message);
  if (code === "connection_not_found") return new ConnectionNotFoundError(context.connectionName ?? "", status, message);
  if (code === "connection_not_ready") {
    return new ConnectionNotReadyError(
      context.connectionName ?? "",
      status,
      message,
      stringField(body, "status") ?? "unknown",
      stringField(body, "status_message") ?? null,
    );
  }
  if (status >= 500) return new OAuthHelperError("service_unavailable", status, message);
  return new OAuthHelperError(code ?? `http_${status}`, status, message);
}

function defaultMessage(status: number, code: string | undefined): string {
  return code === undefined ? `OAuth Helper answered HTTP ${status}` : `OAuth Helper answered HTTP ${status} (${code})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === "string" ? value : undefined;
}
