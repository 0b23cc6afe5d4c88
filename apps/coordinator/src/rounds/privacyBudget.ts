import { epsilonAfter, type FederationConfig } from '@flock/fl-core';

type PrivacyFields = Pick<FederationConfig, 'clientsPerRound' | 'dataset' | 'privacy'>;

/** Whether the federation must stop after `round`: its privacy target is reached and set to stop. */
export function privacyExhausted(config: PrivacyFields, round: number): boolean {
  const privacy = config.privacy;
  if (privacy?.targetEpsilon === undefined || privacy.onTarget !== 'stop') return false;
  return (epsilonAfter(config, round) ?? 0) >= privacy.targetEpsilon;
}

/** The event-log line for a round's privacy spend: a warning once the target is reached, else null. */
export function privacyNote(config: PrivacyFields, round: number, epsilon: number | null): { level: 'warn'; kind: string; message: string } | null {
  const target = config.privacy?.targetEpsilon;
  if (epsilon === null || target === undefined || epsilon < target) return null;
  const action = config.privacy!.onTarget === 'stop' ? 'the federation stops here' : 'training goes on, as the federation is set to only warn at its target';
  return {
    level: 'warn',
    kind: 'privacy-target',
    message: `round ${round}: the privacy spent (epsilon ${epsilon.toFixed(3)}) reached the target of ${target}; ${action}`,
  };
}
