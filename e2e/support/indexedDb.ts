import type { Page } from '@playwright/test';

export interface StoredShard {
  shardId: string;
  numExamples: number;
  byteLength: number;
}

/** Reads the device page's own IndexedDB (database `flock`, store `shards`) from inside the tab. */
export function readStoredShards(page: Page): Promise<StoredShard[]> {
  return page.evaluate(
    () =>
      new Promise<StoredShard[]>((resolve, reject) => {
        const open = indexedDB.open('flock');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('shards').objectStore('shards').getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = () => {
            open.result.close();
            resolve(
              (all.result as { shardId: string; numExamples: number; bytes: ArrayBuffer }[]).map((s) => ({
                shardId: s.shardId,
                numExamples: s.numExamples,
                byteLength: s.bytes.byteLength,
              })),
            );
          };
        };
      }),
  );
}
