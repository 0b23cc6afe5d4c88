import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { addWords, sumMasks, type MaskSummer, type SeededMask } from '@flock/fl-core/secagg';
import type { MaskSumReply, MaskSumRequest } from './maskWorkerMessages.ts';

/** Each thread holds one model-sized partial sum while it works: memory grows with threads, never with devices. */
export const MAX_MASK_THREADS = 4;

/**
 * Unmasking work (masks x words) below which the masks stay on the calling thread: about 16 MB of keystream, some
 * 15 ms on one core, which starting threads and passing vectors would eat up.
 */
export const MIN_THREADED_WORDS = 2 ** 22;

export interface MaskWorkersOptions {
  /**
   * Default: one per core but one, at most MAX_MASK_THREADS. Below 2 the sums stay on the calling thread: on 2 cores
   * shared with other work, 2 mask threads were slower than the main thread alone (README, Secure aggregation).
   */
  threads?: number;
  minWords?: number;
  /** The thread's script; default the compiled dist/maskWorker.mjs, else the TypeScript source through tsx. */
  script?: URL;
}

interface Waiter {
  resolve: (sum: Uint32Array) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Waiter>;
}

/**
 * The coordinator's unmasking spread over worker threads: each thread expands its share of the masks (ChaCha20
 * keystream, one core's worth of work per thread) into one model-sized partial sum, and the caller adds the partial
 * sums mod 2^32. The threads start on the first large unmasking and do not keep the process alive. A thread that
 * fails, or threads that cannot start, leave the sum to the calling thread, with the reason given to `onFallback`.
 */
export class MaskWorkers {
  readonly threadCount: number;
  private readonly minWords: number;
  private readonly script: URL;
  private threads: Thread[] | null = null;
  private nextId = 0;

  constructor(options: MaskWorkersOptions = {}) {
    this.threadCount = Math.max(1, Math.min(options.threads ?? availableParallelism() - 1, MAX_MASK_THREADS));
    this.minWords = options.minWords ?? MIN_THREADED_WORDS;
    const compiled = new URL('./maskWorker.mjs', import.meta.url);
    this.script = options.script ?? (existsSync(compiled) ? compiled : new URL('./maskWorkerSource.mjs', import.meta.url));
  }

  /** A MaskSummer for one round; `onFallback` hears why a sum ran on the calling thread instead. */
  summer(onFallback: (reason: string) => void): MaskSummer {
    return async (masks, length) => {
      if (this.threadCount < 2 || masks.length < 2 || masks.length * length < this.minWords) return sumMasks(masks, length);
      try {
        return await this.spread(masks, length);
      } catch (err) {
        onFallback(
          `Unmasking ran on the coordinator's main thread because its mask threads failed (${err instanceof Error ? err.message : String(err)}); ` +
            'the round goes on, only slower. If this repeats, check the coordinator’s memory and its worker-thread limits.',
        );
        return sumMasks(masks, length);
      }
    };
  }

  /** Ends the threads; a later sum starts new ones. */
  async close(): Promise<void> {
    const threads = this.threads ?? [];
    this.threads = null;
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private async spread(masks: readonly SeededMask[], length: number): Promise<Uint32Array> {
    const threads = this.started().slice(0, masks.length);
    const shares = threads.map((_, t) => masks.filter((__, i) => i % threads.length === t));
    const partials = await Promise.all(threads.map((thread, t) => this.ask(thread, shares[t]!, length)));
    const [sum, ...rest] = partials;
    for (const partial of rest) addWords(sum!, partial, 1);
    return sum!;
  }

  private ask(thread: Thread, masks: SeededMask[], length: number): Promise<Uint32Array> {
    const id = this.nextId++;
    const answer = new Promise<Uint32Array>((resolve, reject) => thread.pending.set(id, { resolve, reject }));
    // A thread at work keeps the process alive until it answers (a bench or a CLI may await nothing else).
    thread.worker.ref();
    thread.worker.postMessage({ id, masks, length } satisfies MaskSumRequest);
    return answer.then((sum) => {
      if (!(sum instanceof Uint32Array) || sum.length !== length) throw new Error(`a mask thread answered ${String(sum?.length)} words for ${length}`);
      return sum;
    });
  }

  private started(): Thread[] {
    if (this.threads) return this.threads;
    const threads = Array.from({ length: this.threadCount }, () => this.spawn());
    this.threads = threads;
    return threads;
  }

  private spawn(): Thread {
    const worker = new Worker(this.script);
    const thread: Thread = { worker, pending: new Map() };
    const failAll = (err: Error) => {
      for (const { reject } of thread.pending.values()) reject(err);
      thread.pending.clear();
    };
    worker.on('message', (reply: MaskSumReply) => {
      const waiter = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if (reply.ok) waiter?.resolve(reply.sum);
      else waiter?.reject(new Error(reply.reason));
    });
    worker.on('error', (err) => {
      failAll(new Error(`a mask thread failed: ${err.message}`, { cause: err }));
      void this.drop(worker);
    });
    worker.on('exit', () => {
      failAll(new Error('a mask thread ended before it answered'));
      void this.drop(worker);
    });
    // Idle threads must not keep the process alive.
    worker.unref();
    return thread;
  }

  /** A failed thread takes its pool with it: the next large sum starts fresh threads. */
  private async drop(worker: Worker): Promise<void> {
    if (this.threads?.some((t) => t.worker === worker)) await this.close();
  }
}
