import {
  FinalEvaluationMessage,
  HelloMessage,
  MAX_CHUNK_BYTES,
  MAX_UPDATE_BYTES,
  ModelChunkRequest,
  PROTOCOL_VERSION,
  UPLOAD_CHUNK_BYTES,
  StatusMessage,
  UpdateBeginMessage,
  UpdateChunkMessage,
  UpdateMessage,
} from '@flock/fl-core';
import { secureRoundOfQuery } from '@flock/fl-core/analytics';
import fc from 'fast-check';
import type { z } from 'zod';
import { mutatedFlkw } from './flkwArbitraries.ts';
import { junk, mutated } from './junkArbitraries.ts';

/** Who sends: a device greeted into the idle demo federation, one greeted into the running fuzz federation, or a connection that never said hello. */
export type Sender = 'demo' | 'live' | 'stranger';

export interface SocketEvent {
  kind: 'event';
  sender: Sender;
  event: string;
  payload: unknown;
  /** Sent with `round` set to the live federation's running round (see atLiveRound). */
  atLiveRound: boolean;
}

/** update:begin then chunks in the order given (out of order, overlapping, past the end), all from the live device. */
export interface SocketTransfer {
  kind: 'transfer';
  begin: unknown;
  chunks: unknown[];
  atLiveRound: boolean;
}

export type SocketCommand = SocketEvent | SocketTransfer;

export interface SocketFuzzContext {
  /** The running federation the live device takes part in, and a valid update payload for its round. */
  liveFederation: string;
  validPayload: Uint8Array;
}

const SCHEMAS: Record<string, z.ZodType> = {
  hello: HelloMessage,
  status: StatusMessage,
  update: UpdateMessage,
  'update:begin': UpdateBeginMessage,
  'update:chunk': UpdateChunkMessage,
  'model:chunk': ModelChunkRequest,
  'evaluation:final': FinalEvaluationMessage,
};

/**
 * Whether the coordinator may answer `ok: true`: only to a message its schema accepts, and for the
 * upload events only from the live device (the demo federation runs no round: nothing may be taken).
 */
export function mayAccept(sender: Sender, event: string, payload: unknown): boolean {
  const schema = SCHEMAS[event];
  if (!schema?.safeParse(payload).success) return false;
  if (event === 'hello') return true;
  if (sender === 'stranger') return false;
  return event === 'status' || sender === 'live';
}

/** Names socket.io-client refuses to emit: they never reach the wire. */
const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const round = fc.oneof(fc.constantFrom(1, 2, 3), junk);

/**
 * `message` with its round replaced by the live federation's running round, when the command aims
 * at it and the message has a round: rounds move on as updates are taken, and a message reaches the
 * decoder and the round engine only when it names the running round (a fixed number soon goes stale).
 */
export function atLiveRound(message: unknown, aim: boolean, liveRound: number): unknown {
  const hasRound = typeof message === 'object' && message !== null && !Array.isArray(message) && 'round' in message;
  return aim && hasRound ? { ...message, round: liveRound } : message;
}

/** A payload cut into upload chunks, in order, or with chunk `resend` sent again right after itself (an overlapping resend). */
function chunked(payload: Uint8Array, federationId: string, resend: number | null): unknown[] {
  const chunks = [];
  for (let offset = 0; offset < payload.byteLength; offset += UPLOAD_CHUNK_BYTES)
    chunks.push({ federationId, round: 0, offset, data: payload.subarray(offset, offset + UPLOAD_CHUNK_BYTES) });
  const again = resend === null ? undefined : chunks[resend];
  return again ? [...chunks.slice(0, resend! + 1), again, ...chunks.slice(resend! + 1)] : chunks;
}

export function socketCommands(ctx: SocketFuzzContext): fc.Arbitrary<SocketCommand> {
  const fed = fc.constantFrom(ctx.liveFederation, ctx.liveFederation, 'demo', 'no-such-federation');
  const payload = fc.oneof({ arbitrary: mutatedFlkw(ctx.validPayload), weight: 9 }, { arbitrary: fc.constant(ctx.validPayload), weight: 1 });
  const update = fc
    .record({ federationId: fed, round, payload, numExamples: fc.constantFrom(10, 10, 10, 1e9), loss: fc.constantFrom(0.5, 0.5, 0.5, -1, NaN, Infinity) })
    .map(({ loss, ...u }) => ({ ...u, metrics: { loss, accuracy: 0.5 } }));
  const validUpdate = { federationId: ctx.liveFederation, round: 1, numExamples: 10, metrics: { loss: 0.5, accuracy: 0.5 }, payload: ctx.validPayload };
  const { payload: _, ...validHeader } = validUpdate;
  const hello = {
    protocolVersion: PROTOCOL_VERSION,
    deviceId: 'fuzz-device-0001',
    federationId: 'demo',
    backend: 'cpu',
    adapter: null,
    dataSource: { kind: 'own', numExamples: 10 },
  };
  const chunk = { federationId: ctx.liveFederation, round: 1, offset: 0, data: ctx.validPayload.subarray(0, 1024) };
  const sender = fc.constantFrom<Sender>('demo', 'live', 'stranger');
  const event = (name: string, arb: fc.Arbitrary<unknown>) =>
    fc.record({ kind: fc.constant('event' as const), sender, event: fc.constant(name), payload: arb, atLiveRound: fc.boolean() });
  // The live device's own updates for the running round: what survives the header checks meets the decoder.
  const liveUpdate = fc
    .record({ payload, numExamples: fc.constantFrom(10, 10, 10, 1e9), loss: fc.constantFrom(0.5, 0.5, 0.5, NaN) })
    .map(({ payload: p, numExamples, loss }) => ({
      kind: 'event' as const,
      sender: 'live' as const,
      event: 'update',
      payload: { ...validUpdate, payload: p, numExamples, metrics: { loss, accuracy: 0.5 } },
      atLiveRound: true,
    }));
  // The same payloads uploaded whole in chunks, so the assembled bytes reach the decoder too.
  const liveTransfer = fc.tuple(payload, fc.option(fc.nat({ max: 3 }))).map(([p, resend]) => ({
    kind: 'transfer' as const,
    begin: { ...validHeader, totalBytes: p.byteLength },
    chunks: chunked(p, ctx.liveFederation, resend),
    atLiveRound: true,
  }));

  const transfer = fc.record({
    kind: fc.constant('transfer' as const),
    atLiveRound: fc.boolean(),
    begin: fc.oneof(
      fc.constantFrom(ctx.validPayload.byteLength, MAX_UPDATE_BYTES, MAX_UPDATE_BYTES + 1, 0).map((totalBytes) => ({ ...validHeader, totalBytes })),
      mutated({ ...validHeader, totalBytes: ctx.validPayload.byteLength }),
    ),
    chunks: fc.array(
      fc.oneof(
        fc
          .record({
            offset: fc.oneof(fc.nat({ max: ctx.validPayload.byteLength + 16 }), fc.constantFrom(-1, MAX_UPDATE_BYTES, NaN)),
            length: fc.integer({ min: 1, max: MAX_CHUNK_BYTES + 1 }),
          })
          .map(({ offset, length }) => ({ ...chunk, offset, data: Buffer.alloc(Math.min(length, 64 * 1024), 1) })),
        fc.nat({ max: ctx.validPayload.byteLength - 1 }).map((offset) => ({ ...chunk, offset, data: ctx.validPayload.subarray(offset, offset + 64 * 1024) })),
        mutated(chunk),
      ),
      { maxLength: 6 },
    ),
  });

  return fc.oneof(
    event(
      'hello',
      fc.oneof(mutated(hello), fc.constantFrom({ ...hello, dataSource: { kind: 'own', numExamples: 100_000_000 } }, { ...hello, protocolVersion: 99 })),
    ),
    event('status', mutated({ state: 'training', detail: 'fuzz' })),
    { arbitrary: event('update', fc.oneof({ arbitrary: update, weight: 3 }, { arbitrary: mutated(validUpdate), weight: 1 })), weight: 4 },
    { arbitrary: liveUpdate, weight: 4 },
    { arbitrary: liveTransfer, weight: 2 },
    event('update:begin', mutated({ ...validHeader, totalBytes: ctx.validPayload.byteLength })),
    event('update:chunk', mutated(chunk)),
    event('model:chunk', mutated({ federationId: ctx.liveFederation, round: 1, hash: '00000000', offset: 0 })),
    event('evaluation:final', mutated({ federationId: ctx.liveFederation, round: 1, evaluation: { loss: 1, accuracy: 0.5, examples: 10 } })),
    // Secure-aggregation answers, for a federation that runs no secure round: each must be refused with a reason.
    event('secagg:answer', fc.oneof(...secureAnswers(ctx.liveFederation).map((answer) => mutated(answer)))),
    // Analytics answers, for a federation that runs no query: refused with a reason.
    event('query:answer', mutated({ queryId: 'q1', answer: [1, 2, 3] })),
    fc.record({
      kind: fc.constant('event' as const),
      sender,
      event: fc.oneof(
        fc.string({ maxLength: 40 }).filter((e) => !RESERVED_EVENTS.has(e)),
        fc.constantFrom('round:start', 'protocol:error', 'subscribe', 'constructor'),
      ),
      payload: junk,
      atLiveRound: fc.constant(false),
    }),
    transfer,
  );
}

/** One well-formed answer per secure-aggregation stage, as the live device would send it: what the mutations start from. */
function secureAnswers(federationId: string): Record<string, unknown>[] {
  const key = new Uint8Array(32).fill(7);
  const share = new Uint8Array(33).fill(3);
  // A training round's stages, and a query's secure sum's (its own round numbers, routed to the query).
  return [1, secureRoundOfQuery('q1')].flatMap((round) => {
    const sender = { federationId, round, deviceId: 'fuzz-device-0001' };
    return [
      { stage: 'advertise', answer: { ...sender, encryptionKey: key, maskKey: key } },
      { stage: 'share-keys', answer: { ...sender, shares: [{ to: 'fuzz-device-0002', ciphertext: new Uint8Array(94) }] } },
      { stage: 'masked-input', answer: { ...sender, masked: new Uint8Array(64) } },
      { stage: 'unmask', answer: { ...sender, seedShares: [{ of: 'fuzz-device-0001', share }], keyShares: [] } },
    ];
  });
}
