import { DatasetConfig } from '@flock/fl-core/config';
import type { DeviceStore } from '../storage/deviceStore.ts';

/** `GET /api/federations/<id>/dataset`: what the federation trains on; null when the coordinator cannot say. */
export async function fetchDataset(federationId: string): Promise<DatasetConfig | null> {
  try {
    const response = await fetch(`/api/federations/${encodeURIComponent(federationId)}/dataset`);
    if (!response.ok) return null;
    const body = (await response.json()) as { dataset?: unknown };
    const parsed = DatasetConfig.safeParse(body.dataset);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Imported examples that match the federation's current schema (others are not trained on). */
export async function ownExamplesHeld(store: DeviceStore, federationId: string, dataset: DatasetConfig | null): Promise<number> {
  if (dataset?.kind !== 'device') return 0;
  const stored = await store.ownExamples(federationId);
  return stored?.schema === JSON.stringify(dataset.schema) ? stored.count : 0;
}

/** Bytes this origin stores, where the browser says. */
export async function storageUsed(): Promise<number | null> {
  try {
    return (await navigator.storage?.estimate())?.usage ?? null;
  } catch {
    return null;
  }
}
