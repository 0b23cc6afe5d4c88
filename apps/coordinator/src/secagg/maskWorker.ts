import { parentPort } from 'node:worker_threads';
import { sumMasks } from '@flock/fl-core/secagg';
import type { MaskSumReply, MaskSumRequest } from './maskWorkerMessages.ts';

const port = parentPort;
if (!port) throw new Error('maskWorker.ts runs as a worker thread');

port.on('message', ({ id, masks, length }: MaskSumRequest) => {
  sumMasks(masks, length).then(
    (sum) => port.postMessage({ id, ok: true, sum } satisfies MaskSumReply, [sum.buffer]),
    (err: unknown) => port.postMessage({ id, ok: false, reason: err instanceof Error ? err.message : String(err) } satisfies MaskSumReply),
  );
});
