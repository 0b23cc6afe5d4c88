import { describe, expect, it } from 'vitest';
import { deviceJoinedText, roundAbandonedText, roundExtendedText, roundStartedText } from './eventWords.ts';

describe('event log words', () => {
  it('says a device with its own data joined with its own data, not with shard -1', () => {
    expect(deviceJoinedText({ shardIndex: -1, examples: 250 }, 0)).toBe('device joined with its own data (250 examples)');
    expect(deviceJoinedText({ shardIndex: 0, examples: 600 }, 10)).toBe('device joined and was given training shard 1 of 10 (600 examples)');
  });

  it('counts the selected devices of an abandoned round and says what happens next', () => {
    const e = { type: 'roundAbandoned' as const, round: 5, answered: 0, selected: 3, reason: 'every device selected for it left before sending an update' };
    expect(roundAbandonedText(e, 'redone-now', 2)).toBe(
      'round 5 called off: every device selected for it left before sending an update; none of its 3 selected devices had sent an update; it starts again with a fresh selection as soon as 2 devices are online',
    );
    const paused = { ...e, answered: 1, reason: 'the operator paused the federation' };
    expect(roundAbandonedText(paused, 'redone-on-resume', 1)).toBe(
      'round 5 called off: the operator paused the federation; the updates already in (1 of 3) are discarded; it is trained again from the start when the federation resumes',
    );
  });

  it('counts the devices a round went to instead of listing their ids', () => {
    expect(roundStartedText(3, 2)).toBe('round 3: model sent to 2 devices');
  });

  it('says how much longer an extended round waits, not a timestamp', () => {
    expect(roundExtendedText({ type: 'roundExtended', round: 2, deadline: 31_000, answered: 1, selected: 3 }, 1_000)).toBe(
      'round 2 had 1 of 3 updates at its deadline, too few to close: waiting 30 s more for the others',
    );
  });
});
