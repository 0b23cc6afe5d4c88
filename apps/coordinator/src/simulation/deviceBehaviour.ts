import { createRng, seedFromText, shuffleInPlace } from '@flock/fl-core';

/**
 * How the simulation's virtual devices misbehave, as real phones and laptops do: some are slow, some
 * drop out mid-round. Every draw is seeded, so the same flags give the same slow devices and the same
 * dropouts (given the same selections).
 */
export interface DeviceBehaviour {
  seed: number;
  /** Probability that a device drops out of a round it trains for. */
  dropout: number;
  /** Secure aggregation: probability that a device drops out after sharing its keys, when asked for its masked update. */
  secaggDropout?: number;
  /** Training takes this many times longer on a slow device (1: no slow devices). */
  slowFactor: number;
  /**
   * When a device that dropped out comes back: `after-round` (synchronous rounds) once the coordinator
   * has closed that round, then a short seeded pause; `after-pause` (asynchronous) after the pause only.
   */
  comeBack: 'after-round' | 'after-pause';
}

export const NO_MISBEHAVIOUR: DeviceBehaviour = { seed: 0, dropout: 0, slowFactor: 1, comeBack: 'after-pause' };

/** Exactly round(fraction x devices) of the devices, a seeded draw. */
export function drawSlowDevices(deviceIds: readonly string[], fraction: number, seed: number): Set<string> {
  return drawFraction(deviceIds, fraction, `${seed}/slow`);
}

/** The devices that send corrupted updates (--byzantine): a draw of its own, unrelated to the slow ones. */
export function drawByzantineDevices(deviceIds: readonly string[], fraction: number, seed: number): Set<string> {
  return drawFraction(deviceIds, fraction, `${seed}/byzantine`);
}

function drawFraction(deviceIds: readonly string[], fraction: number, salt: string): Set<string> {
  const ids = [...deviceIds].sort();
  shuffleInPlace(ids, createRng(seedFromText(salt)));
  return new Set(ids.slice(0, Math.round(fraction * ids.length)));
}

export type DropoutDraw =
  | { drop: false }
  | {
      drop: true;
      /** Where in its training the device disconnects, as a fraction of its usual training time. */
      at: number;
      /** Offline for this long (after the round closed, for `after-round`). */
      pauseMs: number;
    };

const MIN_PAUSE_MS = 500;
const MAX_PAUSE_MS = 3_000;

/**
 * Whether `deviceId` drops out of its `attempt`-th job for `round` (asynchronous devices may be
 * handed the same round's model again after coming back): the same arguments always draw the same.
 */
export function drawDropout(seed: number, deviceId: string, round: number, attempt: number, probability: number, kind = 'dropout'): DropoutDraw {
  if (probability <= 0) return { drop: false };
  const rng = createRng(seedFromText(`${seed}/${kind}/${deviceId}/${round}/${attempt}`));
  if (rng() >= probability) return { drop: false };
  return { drop: true, at: rng(), pauseMs: MIN_PAUSE_MS + rng() * (MAX_PAUSE_MS - MIN_PAUSE_MS) };
}

/**
 * What one device thread knows of the federation's progress, from the `federation:status` its
 * connected devices receive: the last round number it has seen closed (monotonic, so devices that
 * receive the same broadcast at different times cannot move it back), and from `round:abandoned`
 * when each round was last abandoned to be redone.
 */
export class RoundProgress {
  private closedThrough = 0;
  private readonly lastAbandoned = new Map<number, number>();

  observe(federation: { status: string; round: number } | null): void {
    if (!federation) return;
    // 'training' (and 'paused', which may hold a round open) name a round that may still be running;
    // every other status names a round that is over, or none.
    const open = federation.status === 'training' || federation.status === 'paused';
    const closed = open ? federation.round - 1 : federation.round;
    if (closed > this.closedThrough) this.closedThrough = closed;
  }

  isClosed(round: number): boolean {
    return this.closedThrough >= round;
  }

  /** Every connected device hears the same `round:abandoned`: each one only moves the time forward. */
  abandoned(round: number, at: number): void {
    this.lastAbandoned.set(round, Math.max(at, this.lastAbandoned.get(round) ?? 0));
  }

  /** Whether an attempt at `round` that was running at `since` has ended: the round closed, or was abandoned after `since`. */
  attemptEnded(round: number, since: number): boolean {
    return this.isClosed(round) || (this.lastAbandoned.get(round) ?? 0) >= since;
  }
}
