import type { PrivacyConfig } from './privacyConfig.ts';

/** The ε the federation spent on training and on analytics queries, charged together against its target. */
export interface PrivacySpend {
  /** Training's ε after the last round; null when training adds no noise or no round has completed. */
  training: number | null;
  /** The federation's done queries' ε, in all. */
  queries: number;
  /** Both together; null when training adds no noise (it then has no ε bound to add to). */
  total: number | null;
  /** "Training has spent ε 3.2 and queries ε 1: ε 4.2 of the target 8." */
  words: string;
}

export function privacySpend(privacy: Pick<PrivacyConfig, 'targetEpsilon'> | undefined, training: number | null, queries: number): PrivacySpend {
  if (!privacy) {
    return {
      training: null,
      queries,
      total: null,
      words: `Training adds no differential-privacy noise, so it has no ε bound; queries have spent ε ${shown(queries)}.`,
    };
  }
  const total = (training ?? 0) + queries;
  const trained = training === null ? 'Training has spent no ε yet' : `Training has spent ε ${shown(training)}`;
  const of = privacy.targetEpsilon === undefined ? 'in all' : `of the target ${privacy.targetEpsilon}`;
  return { training, queries, total, words: `${trained} and queries ε ${shown(queries)}: ε ${shown(total)} ${of}.` };
}

/** Three decimals at most: ε 4.2, not 4.199999999999999. */
function shown(epsilon: number): string {
  return String(Math.round(epsilon * 1000) / 1000);
}
