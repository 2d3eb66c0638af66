import type { TableClient } from "@azure/data-tables";
import { odata } from "@azure/data-tables";
import { withoutUndefined } from "./connection-repository.js";
import { isTableError, isNotFound } from "./table-errors.js";

/** A pending authorization (RFC 6749 §10.12): what the callback needs, keyed by the hash of its state. */
export interface StateRecord {
  state_hash: string;
  org_id: string;
  connection_name: string;
  redirect_uri: string;
  /** The PKCE verifier encrypted under a key derived from the state itself; absent without PKCE. */
  sealed_code_verifier: string | undefined;
  created_at: string;
  expires_at: string;
}

type StateEntity = Omit<StateRecord, "state_hash"> & { partitionKey: string; rowKey: string };

const PARTITION = "STATE";

/** OAuthStates: PartitionKey `STATE`, RowKey sha256(state). */
export class StateRepository {
  constructor(private readonly table: TableClient) {}

  async create(record: StateRecord): Promise<void> {
    const { state_hash, ...rest } = record;
    await this.table.createEntity({ ...withoutUndefined(rest), partitionKey: PARTITION, rowKey: state_hash });
  }

  async get(stateHash: string): Promise<{ record: StateRecord; etag: string } | undefined> {
    try {
      const entity = await this.table.getEntity<StateEntity>(PARTITION, stateHash);
      return { record: fromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Deletes the state only if it is still the version read; exactly one of two racing callbacks
   * gets true, so a state can be used once.
   */
  async consume(stateHash: string, etag: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(PARTITION, stateHash, { etag });
      return true;
    } catch (error) {
      if (isNotFound(error) || isTableError(error, 412)) return false;
      throw error;
    }
  }

  /** Removes every pending state of a connection; returns how many there were. */
  async deleteForConnection(orgId: string, name: string): Promise<number> {
    const filter = odata`PartitionKey eq ${PARTITION} and org_id eq ${orgId} and connection_name eq ${name}`;
    let count = 0;
    for await (const entity of this.table.listEntities<StateEntity>({ queryOptions: { filter, select: ["RowKey"] } })) {
      try {
        await this.table.deleteEntity(PARTITION, entity.rowKey);
        count++;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return count;
  }
}

function fromEntity(entity: StateEntity): StateRecord {
  return {
    state_hash: entity.rowKey,
    org_id: entity.org_id,
    connection_name: entity.connection_name,
    redirect_uri: entity.redirect_uri,
    sealed_code_verifier: entity.sealed_code_verifier ?? undefined,
    created_at: entity.created_at,
    expires_at: entity.expires_at,
  };
}
