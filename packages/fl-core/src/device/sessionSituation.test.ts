// What a device does and says as the federation calls rounds off, pauses or waits.
import { describe, expect, it } from 'vitest';
import { fakeAdapters, FakeLink, FakeTrainer, FEDERATION, helloReply, roundStart, settle } from '../testing/fakeDevicePlatform.ts';
import type { DeviceSessionView } from './deviceAdapters.ts';
import { DeviceSession } from './deviceSession.ts';
import { describeSituation } from './deviceSituation.ts';

const PAUSED = { federationId: FEDERATION, round: 2, reason: 'the operator paused the federation', next: 'redone-on-resume' } as const;

/** A device that joined a federation training round 2, with a trainer that can (or cannot) be stopped. */
async function deviceTrainingRound2(options: { cancellable: boolean }) {
  const link = new FakeLink();
  const trainer = new FakeTrainer();
  const adapters = fakeAdapters(link, trainer);
  if (!options.cancellable) delete adapters.trainer.cancel;
  let view: DeviceSessionView | null = null;
  const session = new DeviceSession({ deviceId: 'device-0001', federationId: FEDERATION, backend: 'cpu', adapter: null }, adapters, (v) => (view = v));
  session.start();
  link.answerHello = () => helloReply('training', 2);
  link.open();
  await settle();
  link.send('round:start', roundStart(2));
  await settle();
  return { link, trainer, view: () => view! };
}

async function pause(link: FakeLink): Promise<void> {
  link.send('round:abandoned', PAUSED);
  link.send('federation:status', { federationId: FEDERATION, status: 'paused', round: 1, accuracy: null });
  await settle();
}

describe('a round the coordinator calls off', () => {
  it('stops the training under way when the federation is paused, and says the federation is paused', async () => {
    const { link, trainer, view } = await deviceTrainingRound2({ cancellable: true });
    await pause(link);
    expect(trainer.cancels).toBe(1);
    expect(view()).toMatchObject({
      state: 'waiting-for-round',
      progress: null,
      job: { round: 2, phase: 'discarded' },
      lastAbandoned: { round: 2, reason: PAUSED.reason, next: PAUSED.next },
    });
    expect(describeSituation(view())).toBe(
      'Round 2 was called off (the operator paused the federation): this device stopped and discarded its work on it. ' +
        'The operator paused the federation. Nothing to do: this device carries on by itself when it resumes.',
    );
    expect(view().messages[0]).toContain('round 2 was called off (the operator paused the federation): this device stopped training it and discarded its work');
  });

  it('trains the redone round afresh on resume instead of sending the work of the discarded attempt', async () => {
    const { link, trainer } = await deviceTrainingRound2({ cancellable: true });
    await pause(link);
    link.send('round:start', roundStart(2));
    await settle();
    expect(trainer.jobs.map((j) => j.round)).toEqual([2, 2]);
    expect(link.updates).toHaveLength(0);
    trainer.finish();
    await settle();
    expect(link.updates.map((u) => u.round)).toEqual([2]);
  });

  it('drops an update computed but not yet sent', async () => {
    const { link, trainer, view } = await deviceTrainingRound2({ cancellable: true });
    link.drop();
    trainer.finish();
    await settle();
    expect(view().job).toEqual({ round: 2, phase: 'ready' });
    await pause(link);
    link.answerHello = () => helloReply('paused', 1);
    link.open();
    await settle();
    expect(link.updates).toHaveLength(0);
    expect(view().job).toEqual({ round: 2, phase: 'discarded' });
  });

  it('ignores what a trainer that cannot stop computes for the discarded round, and waits for it before training again', async () => {
    const { link, trainer, view } = await deviceTrainingRound2({ cancellable: false });
    await pause(link);
    link.send('round:start', roundStart(2));
    await settle();
    expect(trainer.jobs).toHaveLength(1); // the trainer is still busy with the discarded job
    trainer.finish();
    await settle();
    expect(link.updates).toHaveLength(0);
    expect(trainer.jobs).toHaveLength(2);
    expect(view()).toMatchObject({ state: 'training', job: { round: 2, phase: 'training' } });
  });

  it('keeps an update the coordinator did not discard (an asynchronous federation) and says the federation is paused', async () => {
    const { link, trainer, view } = await deviceTrainingRound2({ cancellable: true });
    link.send('federation:status', { federationId: FEDERATION, status: 'paused', round: 1, accuracy: null });
    await settle();
    expect(describeSituation(view())).toBe('Training round 2; the federation was paused meanwhile: the update is kept and sent when it resumes.');
    trainer.finish();
    await settle();
    expect(view().job).toEqual({ round: 2, phase: 'ready' });
    expect(describeSituation(view())).toBe(
      'The update for round 2 is kept for when it resumes. The operator paused the federation. Nothing to do: this device carries on by itself when it resumes.',
    );
  });

  it('keeps training when the round is redone at once with the same model', async () => {
    const { link, trainer, view } = await deviceTrainingRound2({ cancellable: true });
    link.send('round:abandoned', { ...PAUSED, reason: 'too few updates by the deadline', next: 'redone-now' });
    await settle();
    expect(trainer.cancels).toBe(0);
    expect(view().job).toEqual({ round: 2, phase: 'training' });
  });
});

describe('a device waiting for work', () => {
  it('says what the federation waits for: the operator, or more devices', async () => {
    const link = new FakeLink();
    let view: DeviceSessionView | null = null;
    const session = new DeviceSession(
      { deviceId: 'device-0001', federationId: FEDERATION, backend: 'cpu', adapter: null },
      fakeAdapters(link, new FakeTrainer()),
      (v) => (view = v),
    );
    session.start();
    link.answerHello = () => helloReply('idle', 0);
    link.open();
    await settle();
    expect(describeSituation(view!)).toBe('The operator has not started the federation yet: nothing to do, training starts by itself when they do.');
    link.send('federation:status', { federationId: FEDERATION, status: 'waiting', round: 0, accuracy: null });
    await settle();
    expect(describeSituation(view!)).toBe('The federation waits for more devices to join before its next round: nothing to do.');
  });
});
