import type { DeviceTrainer } from '../device/deviceAdapters.ts';

const TICK_MS = 10;

export interface TrainingReport {
  round: number;
  examples: number;
  seconds: number;
  /** The longest time the event loop (and with it the device's socket) went without running. */
  longestStallMs: number;
}

/**
 * A trainer that reports, after each round, how long it took and how long it kept the event loop from
 * running: a stall near the coordinator's ping timeout (20 s by default) gets the device dropped.
 * Measured as the longest gap between ticks of a 10 ms timer: perf_hooks' monitorEventLoopDelay
 * missed a 53 s stall that began right after its reset (it records nothing before its first tick).
 */
export function reportingStalls(trainer: DeviceTrainer, report: (r: TrainingReport) => void): DeviceTrainer {
  let last = performance.now();
  let longest = 0;
  setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - TICK_MS);
    last = now;
  }, TICK_MS).unref();
  return {
    // Scoring and predicting go straight to the trainer: only training is reported.
    ...(trainer.evaluate ? { evaluate: trainer.evaluate.bind(trainer) } : {}),
    ...(trainer.predict ? { predict: trainer.predict.bind(trainer) } : {}),
    async train(job, onProgress) {
      const started = performance.now();
      last = started;
      longest = 0;
      const outcome = await trainer.train(job, onProgress);
      const seconds = (performance.now() - started) / 1000;
      // A stall that just ended is seen when the timer runs late, after this chain of microtasks.
      setTimeout(
        () => report({ round: job.round, examples: outcome.numExamples, seconds, longestStallMs: Math.max(longest, performance.now() - last - TICK_MS) }),
        TICK_MS,
      );
      return outcome;
    },
  };
}
