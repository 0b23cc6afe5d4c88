import { z } from 'zod';

/**
 * One device's evaluation of the global model of `round` (the model that round produced; 0: the initial
 * model), as the coordinator stores it: reported with the next round's update, or for the final model
 * when the federation finished.
 */
export const DeviceEvaluation = z.object({
  deviceId: z.string(),
  round: z.number().int().min(0),
  accuracy: z.number(),
  loss: z.number(),
  examples: z.number().int(),
  reportedAt: z.string(),
});
export type DeviceEvaluation = z.infer<typeof DeviceEvaluation>;

const Spread = z.object({ min: z.number(), median: z.number(), max: z.number() });
export type Spread = z.infer<typeof Spread>;

/** The distribution of one round's device evaluations. */
export const RoundEvaluationSummary = z.object({
  round: z.number().int(),
  devices: z.number().int(),
  examples: z.number().int(),
  accuracy: Spread,
  loss: Spread,
  /** Accuracy over all held-out examples (each device weighted by its examples). */
  pooledAccuracy: z.number(),
});
export type RoundEvaluationSummary = z.infer<typeof RoundEvaluationSummary>;

/** `GET /api/federations/:id/evaluations`. */
export const FederatedEvaluationReport = z.object({
  devices: z.array(DeviceEvaluation),
  rounds: z.array(RoundEvaluationSummary),
});
export type FederatedEvaluationReport = z.infer<typeof FederatedEvaluationReport>;

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}

/** Per round (ascending), min / median / max across the devices that reported. */
export function summarizeEvaluations(evaluations: DeviceEvaluation[]): RoundEvaluationSummary[] {
  const byRound = new Map<number, DeviceEvaluation[]>();
  for (const e of evaluations) byRound.set(e.round, [...(byRound.get(e.round) ?? []), e]);
  return [...byRound.entries()]
    .sort(([a], [b]) => a - b)
    .map(([round, list]) => {
      const examples = list.reduce((n, e) => n + e.examples, 0);
      return {
        round,
        devices: list.length,
        examples,
        accuracy: spread(list.map((e) => e.accuracy)),
        loss: spread(list.map((e) => e.loss)),
        pooledAccuracy: list.reduce((n, e) => n + e.accuracy * e.examples, 0) / examples,
      };
    });
}
