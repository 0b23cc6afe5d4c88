import { describe, expect, it } from 'vitest';
import type { DeviceTrainer, TrainingOutcome } from '../device/deviceAdapters.ts';
import { reportingStalls, type TrainingReport } from './eventLoopStall.ts';

const outcome = { numExamples: 7 } as TrainingOutcome;

describe('reportingStalls', () => {
  it('reports a round that held the event loop for 300 ms as a stall of about that long', async () => {
    const blocking: DeviceTrainer = {
      train: async () => {
        const end = performance.now() + 300;
        while (performance.now() < end);
        return outcome;
      },
    };
    const report = await new Promise<TrainingReport>((resolve) => {
      void reportingStalls(blocking, resolve).train({ round: 3 } as Parameters<DeviceTrainer['train']>[0], () => {});
    });
    expect(report).toMatchObject({ round: 3, examples: 7 });
    expect(report.longestStallMs).toBeGreaterThanOrEqual(250);
  });

  it("keeps the trainer's scoring and predicting, so a silo answers confusion-matrix queries", async () => {
    const labels = Int32Array.from([2, 0]);
    const trainer: DeviceTrainer = { train: async () => outcome, predict: async () => labels, evaluate: async () => null };
    const wrapped = reportingStalls(trainer, () => {});
    expect(await wrapped.predict?.({} as Parameters<NonNullable<DeviceTrainer['predict']>>[0])).toBe(labels);
    expect(wrapped.evaluate).toBeDefined();
    expect(reportingStalls({ train: trainer.train }, () => {}).predict).toBeUndefined();
  });
});
