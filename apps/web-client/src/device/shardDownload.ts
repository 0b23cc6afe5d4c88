import { decodeDataset } from '@flock/fl-core/data';
import type { DatasetAssignment } from '@flock/fl-core/protocol';
import type { DeviceStore } from '../storage/deviceStore.ts';

/**
 * Fetches an assigned shard and keeps it in IndexedDB. Checks the format before storing, so a
 * bad download is never mistaken for data the device holds. `authHeaders` carry the device's credential.
 * Returns the number of examples.
 */
export async function downloadShard(
  store: DeviceStore,
  federationId: string,
  assignment: DatasetAssignment,
  authHeaders: Record<string, string> = {},
): Promise<number> {
  const response = await fetch(assignment.shardPath, { headers: authHeaders });
  if (!response.ok) {
    throw new Error(`shard download failed: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const bytes = await response.arrayBuffer();
  const data = decodeDataset(new Uint8Array(bytes));
  await store.putShard({
    shardId: assignment.shardId,
    federationId,
    numExamples: data.count,
    bytes,
    storedAt: new Date().toISOString(),
  });
  return data.count;
}
