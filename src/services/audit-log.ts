import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { AuditEvent, AuditRepository } from "../storage/audit-repository.js";
import { noTelemetry, type Telemetry, type TelemetryProperties } from "../telemetry/telemetry.js";

export type AuditInput = Omit<AuditEvent, "occurred_at">;

/**
 * Records lifecycle events (FR-020) in OAuthAuditEvents, in the log, and as `oauth.<event_type>`
 * telemetry events. Callers pass no secret values.
 */
export class AuditLog {
  constructor(
    private readonly repository: AuditRepository,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly telemetry: Telemetry = noTelemetry,
  ) {}

  async record(input: AuditInput): Promise<void> {
    const event: AuditEvent = { ...input, occurred_at: this.clock.now().toISOString() };
    this.logger.info(`audit ${event.event_type}`, {
      org_id: event.org_id,
      connection_name: event.connection_name,
      actor: event.actor,
      ...event.details,
    });
    this.telemetry.trackEvent(`oauth.${event.event_type}`, {
      org_id: event.org_id,
      connection_name: event.connection_name,
      actor: event.actor,
      ...primitives(event.details),
    });
    await this.repository.append(event);
  }

  /** The newest `limit` events of a connection. */
  async list(orgId: string, name: string, limit: number): Promise<AuditEvent[]> {
    return (await this.repository.listForConnection(orgId, name, limit)).events;
  }

  /** A page of a connection's events, newest first. */
  page(orgId: string, name: string, limit: number, cursor: string | undefined) {
    return this.repository.listForConnection(orgId, name, limit, cursor);
  }
}

/** Telemetry dimensions are flat: lists and objects become JSON text. */
function primitives(details: Record<string, unknown>): TelemetryProperties {
  return Object.fromEntries(
    Object.entries(details).map(([key, value]) => [key, value === null || ["string", "number", "boolean"].includes(typeof value) ? (value as string) : JSON.stringify(value)]),
  );
}
