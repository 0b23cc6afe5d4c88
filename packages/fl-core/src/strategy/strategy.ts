import type { PartialAggregate } from '../aggregation/fedAvgAccumulator.ts';
import type { RoundInstructions } from '../protocol/device.ts';

/**
 * A federated-learning strategy in the shape of Flower's: it says what each round's devices are told
 * (`instructions`), folds the round's deltas (`beginRound`), and turns the aggregated delta into the
 * next global model (`step`). Pure code over typed arrays: no sockets, no clock. Which devices train
 * stays the round engine's seeded draw; the global model is evaluated by the coordinator's evaluator.
 */
export interface Strategy {
  readonly name: string;
  /** What every selected device is told with round:start (proximal mu, clip norm, local noise). */
  instructions(): RoundInstructions;
  /** A fresh aggregation for one round. */
  beginRound(): RoundAggregation;
  /** The next global model from the current one and the round's aggregated delta. */
  step(global: Float32Array, aggregated: Float32Array): Float32Array;
  /** What a stateful server step (momentum, moments) carries from round to round; absent when stateless. */
  readonly serverState?: ServerState;
}

/**
 * The server step's state, saved with each round's model so a restarted coordinator continues the
 * same optimisation instead of starting its moments over.
 */
export interface ServerState {
  /** A copy of the state after the last step. */
  save(): Float64Array;
  /** Puts a saved state back; throws RangeError when it does not fit this strategy and model. */
  restore(saved: Float64Array): void;
}

/** A ServerState over fixed buffers (each the model's size), saved back to back. */
export function bufferState(buffers: readonly Float64Array[]): ServerState {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  return {
    save: () => {
      const out = new Float64Array(total);
      let at = 0;
      for (const b of buffers) {
        out.set(b, at);
        at += b.length;
      }
      return out;
    },
    restore: (saved) => {
      if (saved.length !== total) throw new RangeError(`saved server state has ${saved.length} values, this strategy keeps ${total}`);
      let at = 0;
      for (const b of buffers) {
        b.set(saved.subarray(at, at + b.length));
        at += b.length;
      }
    },
  };
}

export interface RoundAggregation {
  /** Folds one device's delta in, weighted by its example count; throws RangeError when it cannot. */
  add(delta: Float32Array, examples: number): void;
  readonly updates: number;
  /** The round's aggregated delta (throws when nothing was added). */
  result(): Float32Array;
}

/**
 * An aggregation that can be folded in parts and the parts merged: several coordinators each fold
 * the updates they receive, the federation's owner merges them, and the result is one aggregation's.
 * Those that need every update at once (median, trimmed mean, Krum) cannot.
 */
export interface SplittableAggregation extends RoundAggregation {
  /** A copy of what was folded so far. */
  partial(): PartialAggregate;
  /** Folds in another part of the same round's aggregation. */
  merge(partial: PartialAggregate): void;
}

export function isSplittable(aggregation: RoundAggregation): aggregation is SplittableAggregation {
  return 'partial' in aggregation && 'merge' in aggregation;
}
