import type { Page } from '@playwright/test';

export interface StoredShard {
  shardId: string;
  numExamples: number;
  byteLength: number;
}

/** A binary field as the page reports it: its type and size (the bytes stay in the tab). */
export interface BinaryField {
  binary: string;
  byteLength: number;
}

/** Every record of one store of the device page's own IndexedDB (database `flock`), read inside the tab; binary fields become BinaryField. */
export function readStore(page: Page, store: string): Promise<Record<string, unknown>[]> {
  return page.evaluate(
    (name) =>
      new Promise<Record<string, unknown>[]>((resolve, reject) => {
        const open = indexedDB.open('flock');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction(name).objectStore(name).getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = () => {
            open.result.close();
            const describe = (v: unknown) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? { binary: v.constructor.name, byteLength: v.byteLength } : v);
            resolve((all.result as Record<string, unknown>[]).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, describe(v)]))));
          };
        };
      }),
    store,
  );
}

/** The shards the page keeps (store `shards`). */
export async function readStoredShards(page: Page): Promise<StoredShard[]> {
  return (await readStore(page, 'shards')).map((s) => ({
    shardId: s.shardId as string,
    numExamples: s.numExamples as number,
    byteLength: (s.bytes as BinaryField).byteLength,
  }));
}
