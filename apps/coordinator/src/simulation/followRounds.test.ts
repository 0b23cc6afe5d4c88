import type { EventLogEntry, FederationSummary, RoundRecord } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { RoundLedger } from './roundLedger.ts';
import { followRounds, type RoundSource } from './simulation.ts';

const record = (round: number) => ({ round }) as RoundRecord;

/**
 * A coordinator whose last round is stored and federation finished while it answers a status request,
 * as happens when a round closes between two REST calls: rounds read before that answer lack it.
 */
function finishingWhileAsked(maxRounds: number): RoundSource {
  const rounds = [record(1)];
  return {
    async federation() {
      await new Promise((resolve) => setTimeout(resolve, 5));
      while (rounds.length < maxRounds) rounds.push(record(rounds.length + 1));
      return { status: 'finished' } as FederationSummary;
    },
    async rounds() {
      return [...rounds];
    },
    async events() {
      return [] as EventLogEntry[];
    },
  };
}

describe('followRounds', () => {
  it('reports every round of a federation that finishes between two of its reads (flockctl simulate once ended a round short)', async () => {
    const reported: number[] = [];
    const seen = await followRounds(finishingWhileAsked(4), 'f', new RoundLedger(), (r) => reported.push(r.round), 1);
    expect(reported).toEqual([1, 2, 3, 4]);
    expect(seen.map((r) => r.round)).toEqual([1, 2, 3, 4]);
  });
});
