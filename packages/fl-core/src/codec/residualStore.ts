/**
 * Where a device keeps its error-feedback residuals between rounds, keyed by federation and shard:
 * in memory for Node devices, in IndexedDB for tabs (so a reload keeps what top-k has not sent yet).
 */
export interface ResidualStore {
  load(key: string): Promise<Float32Array | null>;
  save(key: string, residual: Float32Array): Promise<void>;
}

/** The residual key of one device's shard in one federation. */
export function residualKey(federationId: string | undefined, shardId: string): string {
  return `${federationId ?? ''}/${shardId}`;
}

export class MemoryResidualStore implements ResidualStore {
  private readonly residuals = new Map<string, Float32Array>();

  async load(key: string): Promise<Float32Array | null> {
    return this.residuals.get(key) ?? null;
  }

  async save(key: string, residual: Float32Array): Promise<void> {
    this.residuals.set(key, Float32Array.from(residual));
  }
}
