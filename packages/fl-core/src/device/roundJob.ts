import type { FederationStatus, UpdateMessage } from '../protocol/device.ts';

/**
 * Where one round's work stands on the device:
 * `training` (the trainer computes the update), `ready` (computed, waiting for a connection or for
 * the coordinator to reopen the round), `sending`, `sent` (acknowledged), `refused` (the
 * coordinator refused it or the federation ended; kept in case the same round is asked for again),
 * `discarded` (the coordinator called the round off and said the work is void: a pause or a stop).
 */
export type RoundJobPhase = 'training' | 'ready' | 'sending' | 'sent' | 'refused' | 'discarded';

export interface RoundJob {
  round: number;
  /** The global model it trains from: a round:start naming the same round and model is the same work. */
  weights: Uint8Array;
  phase: RoundJobPhase;
  update: { message: UpdateMessage; bytes: number } | null;
  /** It was sent at least once: after a lost connection only the coordinator's ack tells whether it counted. */
  attempted: boolean;
  /** Already counted in `roundsDone` (a re-send after a coordinator restart is not counted twice). */
  counted: boolean;
  /** The round is securely aggregated: its update goes out masked when the masked-input stage asks, never as `update`. */
  secure: boolean;
}

/** What the device last heard of the coordinator: from hello replies, status broadcasts and round:start. */
export interface CoordinatorPosition {
  status: FederationStatus;
  round: number;
}

/**
 * What the coordinator's position says about a round the device is working on: `open` (it takes
 * updates for it), `closed` (it moved past it), `not-open` (it is behind: restarted, paused or
 * redoing the round after an abandon, and may hand it out again).
 */
export function roundFate(round: number, coordinator: CoordinatorPosition): 'open' | 'closed' | 'not-open' {
  if (coordinator.round > round) return 'closed';
  if (coordinator.round < round) return 'not-open';
  switch (coordinator.status) {
    case 'training':
    case 'paused':
      return 'open';
    case 'aggregating':
    case 'waiting':
    case 'finished':
    case 'stopped':
    case 'idle':
      // With no round open, `round` is the last one completed: this one.
      return 'closed';
    default: {
      const unknown: never = coordinator.status;
      return unknown;
    }
  }
}

/**
 * Whether a computed update goes out now: `send` once the coordinator reached its round (if the
 * round already closed, the ack says whether it still counts), `hold` while the coordinator is behind,
 * `drop` when the federation ended before reaching it.
 */
export function deliveryDisposition(round: number, coordinator: CoordinatorPosition | null): 'send' | 'hold' | 'drop' {
  if (!coordinator) return 'hold';
  if (coordinator.round >= round) return 'send';
  return coordinator.status === 'finished' || coordinator.status === 'stopped' ? 'drop' : 'hold';
}

/** Byte equality of two encoded models (the same round retried after a restart carries the same bytes). */
export function sameModel(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
