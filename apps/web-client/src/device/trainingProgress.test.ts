import { initialSessionView, type DeviceSessionView } from '@flock/fl-core/device';
import { describe, expect, it } from 'vitest';
import { trainingProgress } from './trainingProgress.ts';

const view = (patch: Partial<DeviceSessionView>): DeviceSessionView => ({ ...initialSessionView(), ...patch });

describe('trainingProgress', () => {
  it('shows a bar while a round trains, at the batch it reached', () => {
    const training = view({ state: 'training', job: { round: 17, phase: 'training' }, progress: { epoch: 2, epochs: 2, batch: 5, batches: 10 } });
    expect(trainingProgress(training)).toEqual({ heading: 'Local training — round 17', fraction: 0.75, text: 'Epoch 2 of 2, batch 5 of 10' });
  });

  it('shows no bar once the round was called off, and says its work was discarded', () => {
    const paused = view({
      state: 'waiting-for-round',
      job: { round: 17, phase: 'discarded' },
      lastAbandoned: { round: 17, reason: 'the operator paused the federation', next: 'redone-on-resume' },
    });
    expect(trainingProgress(paused)).toEqual({
      heading: 'Local training — round 17',
      fraction: null,
      text: 'Round 17 was called off (the operator paused the federation): its training was stopped and its work discarded.',
    });
  });

  it('shows no bar for a round whose update went out', () => {
    expect(trainingProgress(view({ job: { round: 3, phase: 'sent' } }))).toMatchObject({ fraction: null, text: 'Round 3 trained and its update sent.' });
  });
});
