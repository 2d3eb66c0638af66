import type { Clock } from "../clock.js";
import type { AuditLog } from "./audit-log.js";
import type { ConnectionStore } from "./connection-store.js";
import type { ConnectionTester, TestResult } from "./connection-tester.js";
import { fail, ok, type Result } from "./result.js";
import type { TokenService } from "./token-service.js";

export interface ConnectionTestReport {
  test_result: TestResult;
  message: string;
  tested_at: string;
}

/**
 * An admin's re-test of a connection's current token. It records when and how the test went; it does
 * not change the status, since one failed call is not proof the grant is gone.
 */
export class ConnectionTestService {
  constructor(
    private readonly store: ConnectionStore,
    private readonly tokens: TokenService,
    private readonly tester: ConnectionTester,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async run(orgId: string, name: string, actor: string): Promise<Result<ConnectionTestReport>> {
    const record = await this.store.get(orgId, name);
    if (record === undefined) return fail("connection_not_found", `No connection named ${name} in organization ${orgId}`);
    const outcome = await this.tester.test(record, await this.tokens.readTokens(record));
    const testedAt = this.clock.now().toISOString();
    await this.store.update(orgId, name, (current) => ({ ...current, last_test_at: testedAt }));
    await this.audit.record({ org_id: orgId, connection_name: name, event_type: "connection_tested", actor, details: { test_result: outcome.result } });
    return ok({ test_result: outcome.result, message: outcome.message, tested_at: testedAt });
  }
}
