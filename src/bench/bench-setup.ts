import { request } from "undici";
import { forEachLimited } from "../services/refresh-job.js";

/** What the bench reads: a workflow key of the org and the names of its connections. */
export interface BenchFixture {
  orgId: string;
  workflowKey: string;
  connectionNames: string[];
}

/** Creates, through the API, a workflow key for `orgId` and `count` client_credentials connections on `tokenUrl`. */
export async function createFixture(hostUrl: string, adminKey: string, orgId: string, count: number, tokenUrl: string): Promise<BenchFixture> {
  const admin = { authorization: `Bearer ${adminKey}`, "content-type": "application/json" };
  const key = await postJson(`${hostUrl}/api/oauth/keys`, admin, { name: "bench-workflow", role: "workflow", org_id: orgId });
  const workflowKey = stringField(key, "key");

  const connectionNames = Array.from({ length: count }, (_, index) => `bench-${String(index + 1).padStart(2, "0")}`);
  await createConnections(hostUrl, adminKey, orgId, connectionNames, tokenUrl, count);
  return { orgId, workflowKey, connectionNames };
}

/** Creates, through the API, `client_credentials` connections named `names` on `tokenUrl`, `parallel` at a time; each must be completed. */
export async function createConnections(hostUrl: string, adminKey: string, orgId: string, names: readonly string[], tokenUrl: string, parallel: number): Promise<void> {
  const headers = { authorization: `Bearer ${adminKey}`, "content-type": "application/json", "x-organization-id": orgId };
  await forEachLimited(names, parallel, async (name) => {
    const created = await postJson(`${hostUrl}/api/oauth/connections`, headers, {
      connection_name: name,
      oauth_flow_type: "client_credentials",
      client_id: `client-${name}`,
      client_secret: "bench-client-secret",
      token_url: tokenUrl,
      scopes: "bench.read",
    });
    const status = stringField(created, "status");
    if (status !== "completed") throw new Error(`Connection ${name} is ${status}, not completed: ${JSON.stringify(created)}`);
  });
}

async function postJson(url: string, headers: Record<string, string>, body: object): Promise<Record<string, unknown>> {
  const response = await request(url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.body.text();
  if (response.statusCode !== 201) throw new Error(`POST ${url} answered ${response.statusCode}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== "string") throw new Error(`The answer has no string "${field}": ${JSON.stringify(body)}`);
  return value;
}
