import { z } from "zod";
import { connectionName, timestamp } from "./common.js";

/** Workflow ids go into table keys: no / \ # ? or control characters. */
export const workflowId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must be 1-128 of letters, digits, '_', '.', ':' and '-'");
export const workflowName = z.string().min(1).max(256);

export const WORKFLOW_ID_HEADER = "x-workflow-id";
export const WORKFLOW_NAME_HEADER = "x-workflow-name";

export const credentials = z
  .object({
    connection_name: z.string(),
    org_id: z.string().meta({ description: "The org whose connection answered: the caller's, or GLOBAL" }),
    access_token: z.string(),
    token_type: z.string(),
    expires_at: timestamp,
    scopes: z.array(z.string()),
  })
  .meta({ id: "Credentials" });

export const notReady = z
  .object({ error: z.literal("connection_not_ready"), message: z.string(), status: z.string(), status_message: z.string().nullable() })
  .meta({ id: "ConnectionNotReady" });

export const workflowIdParams = z.strictObject({ workflow_id: workflowId });

export const registerDependencyBody = z
  .strictObject({ connection_name: connectionName, workflow_name: workflowName.optional() })
  .meta({ id: "RegisterDependencyRequest" });

export const dependency = z
  .object({ workflow_id: z.string(), workflow_name: z.string().nullable(), connection_name: z.string(), org_id: z.string(), registered_at: timestamp, last_accessed_at: timestamp })
  .meta({ id: "WorkflowDependency" });
