import { FedAvgAccumulator, type PartialAggregate } from '@flock/fl-core';

/** One partial aggregate of everything `partials` folded (at least one, all of one model size); a RangeError for a size or weight that does not fit. */
export function sumOfPartials(partials: readonly PartialAggregate[]): PartialAggregate {
  const sum = new FedAvgAccumulator(partials[0]?.weightedSum.length ?? 0);
  for (const partial of partials) sum.merge(partial);
  return sum.partial();
}
