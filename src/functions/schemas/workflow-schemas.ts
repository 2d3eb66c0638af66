import { z } from "zod";
import { timestamp } from "./common.js";

export const workflowStatus = z
  .object({
    workflow_id: z.string(),
    org_id: z.string(),
    is_disabled: z.boolean(),
    disabled_reason: z.enum(["oauth_connection_deleted", "manual"]).nullable(),
    related_oauth_connection: z.string().nullable().meta({ description: "`org|name` of the connection whose deletion disabled it" }),
    disabled_at: timestamp.nullable(),
    disabled_by: z.string().nullable(),
    enabled_at: timestamp.nullable(),
  })
  .meta({ id: "WorkflowStatus" });

export const disabledWorkflows = z.object({ workflows: z.array(workflowStatus) }).meta({ id: "DisabledWorkflows" });

export const enabledWorkflow = z.object({ message: z.string(), workflow_id: z.string(), enabled_at: timestamp }).meta({ id: "EnabledWorkflow" });

export const workflowDependencies = z
  .object({
    workflow_id: z.string(),
    connections: z.array(
      z.object({ connection_name: z.string(), org_id: z.string(), workflow_name: z.string().nullable(), registered_at: timestamp, last_accessed_at: timestamp }),
    ),
  })
  .meta({ id: "WorkflowDependencies" });
