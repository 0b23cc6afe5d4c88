import { Manager } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeAdapters, FakeLink, FakeTrainer, FEDERATION, helloReply, roundStart, settle } from '../testing/fakeDevicePlatform.ts';
import type { DeviceSessionView } from './deviceAdapters.ts';
import { DeviceCredentials } from './deviceCredentials.ts';
import { DeviceSession } from './deviceSession.ts';
import { describeSituation } from './deviceSituation.ts';
import { DEVICE_RECONNECTION } from './deviceSocket.ts';

function joinedDevice() {
  const link = new FakeLink();
  const trainer = new FakeTrainer();
  const adapters = fakeAdapters(link, trainer);
  let view: DeviceSessionView | null = null;
  const identity = { deviceId: 'device-0001', federationId: FEDERATION, backend: 'cpu' as const, adapter: null };
  const session = new DeviceSession(identity, adapters, (v) => (view = v));
  session.start();
  return { link, trainer, adapters, session, view: () => view! };
}

/** A device connected and waiting, the coordinator training `round`. */
async function waitingDevice(round = 1) {
  const device = joinedDevice();
  device.link.answerHello = () => helloReply('training', round);
  device.link.open();
  await settle();
  return device;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('DeviceSession', () => {
  it('trains the announced round, sends its update once and counts it', async () => {
    const { link, trainer, view } = await waitingDevice();
    expect(view().state).toBe('waiting-for-round');
    link.send('round:start', roundStart(1));
    await settle();
    expect(view().state).toBe('training');
    trainer.finish();
    await settle();
    expect(link.updates.map((u) => u.round)).toEqual([1]);
    expect(view()).toMatchObject({ state: 'waiting-for-round', roundsDone: 1, roundsMissed: 0, bytesSent: 16, job: { round: 1, phase: 'sent' } });
    expect(link.statuses).toEqual(['downloading-data', 'waiting-for-round', 'training', 'uploading', 'waiting-for-round']);
  });

  it('hands the trainer the codec round:start names and the federation it belongs to', async () => {
    const { link, trainer } = await waitingDevice();
    link.send('round:start', { ...roundStart(1), codec: { uplink: 'topk', topkFraction: 0.05 } });
    link.send('round:start', roundStart(2));
    await settle();
    trainer.finish();
    await settle();
    expect(trainer.jobs.map((j) => [j.round, j.federationId, j.codec])).toEqual([
      [1, FEDERATION, { uplink: 'topk', topkFraction: 0.05 }],
      [2, FEDERATION, undefined],
    ]);
  });

  it('marks a round missed when the coordinator refuses its update as stale, and waits for the next round', async () => {
    const { link, trainer, view } = await waitingDevice();
    link.answerUpdate = (msg) => ({ ok: false, reason: `update for round ${msg.round} but round 2 is running` });
    link.send('round:start', roundStart(1));
    await settle();
    trainer.finish();
    await settle();
    expect(view()).toMatchObject({
      state: 'waiting-for-round',
      roundsDone: 0,
      roundsMissed: 1,
      lastMissed: { round: 1, reason: 'update for round 1 but round 2 is running' },
    });
    expect(view().messages[0]).toBe('round 1 missed: update for round 1 but round 2 is running');
    expect(describeSituation(view())).toMatch(/^Round 1 missed \(update for round 1 but round 2 is running\)\. Waiting for the next round\.$/);
  });

  it('marks the round being trained missed when the hello after a reconnect shows it closed; the late update is still offered', async () => {
    const { link, trainer, view } = await waitingDevice();
    link.send('round:start', roundStart(1));
    await settle();
    link.drop();
    expect(view().connection).toBe('reconnecting');
    expect(describeSituation(view())).toMatch(/Connection lost: training round 1 goes on/);
    link.answerHello = () => helloReply('training', 2);
    link.open();
    await settle();
    expect(view()).toMatchObject({ state: 'training', roundsMissed: 1, lastMissed: { round: 1 } });
    expect(view().messages[0]).toMatch(/^round 1 missed: the coordinator closed it while this device was away \(it is at round 2, training\)$/);

    link.answerUpdate = () => ({ ok: false, reason: 'update for round 1 but round 2 is running' });
    trainer.finish();
    await settle();
    expect(link.updates).toHaveLength(1);
    expect(view()).toMatchObject({ state: 'waiting-for-round', roundsMissed: 1, roundsDone: 0 });
  });

  it('keeps training across a reconnect and ignores the round:start the coordinator sends again for the same round', async () => {
    const { link, trainer, view } = await waitingDevice();
    link.send('round:start', roundStart(1));
    await settle();
    link.drop();
    link.open(); // the coordinator still trains round 1 and re-sends it to the returning device
    await settle();
    link.send('round:start', roundStart(1));
    await settle();
    expect(trainer.jobs).toHaveLength(1);
    expect(link.statuses.at(-1)).toBe('training');
    trainer.finish();
    await settle();
    expect(link.updates).toHaveLength(1);
    expect(trainer.training).toBe(0);
    expect(view()).toMatchObject({ roundsDone: 1, roundsMissed: 0, state: 'waiting-for-round' });
  });

  it('finishes a round trained while disconnected and sends it after the next hello, never before', async () => {
    const { link, trainer, view } = await waitingDevice();
    link.send('round:start', roundStart(1));
    await settle();
    link.drop();
    trainer.finish();
    await settle();
    expect(view().state).toBe('uploading');
    expect(describeSituation(view())).toMatch(/the update for round 1 is kept and sent once reconnected/);
    let hellos = 0;
    link.answerHello = () => {
      hellos++;
      return helloReply('training', 1);
    };
    link.open();
    await settle();
    expect(link.emitsWhileDisconnected).toBe(0);
    expect(hellos).toBe(1);
    expect(link.updates.map((u) => u.round)).toEqual([1]);
    expect(view()).toMatchObject({ roundsDone: 1, state: 'waiting-for-round' });
  });

  it('sends an update again when its ack was lost in a disconnect, and counts it once', async () => {
    const { link, trainer, view } = await waitingDevice();
    link.answerUpdate = () => null; // the connection breaks before the coordinator answers
    link.send('round:start', roundStart(1));
    await settle();
    trainer.finish();
    await settle();
    expect(link.updates).toHaveLength(1);
    link.drop();
    await settle();
    expect(view().state).toBe('uploading');
    link.answerUpdate = () => ({ ok: true }); // it had counted the first one: a duplicate is acknowledged
    link.answerHello = () => helloReply('aggregating', 1);
    link.open();
    await settle();
    expect(link.updates).toHaveLength(2);
    expect(view()).toMatchObject({ roundsDone: 1, roundsMissed: 0, state: 'waiting-for-round' });
  });

  it('holds an update while a restarted coordinator is behind, and sends it without retraining when the round is handed out again', async () => {
    const { link, trainer, view } = await waitingDevice(3);
    link.send('round:start', roundStart(3));
    await settle();
    trainer.finish();
    await settle();
    expect(view().roundsDone).toBe(1);

    link.drop(); // killed before round 3 was stored: it restarts at round 2
    link.answerHello = () => helloReply('waiting', 2);
    link.open();
    await settle();
    expect(link.updates).toHaveLength(1);
    link.send('round:start', roundStart(3)); // round 3 again, from the same stored model
    await settle();
    expect(trainer.jobs).toHaveLength(1);
    expect(link.updates.map((u) => u.round)).toEqual([3, 3]);
    expect(view()).toMatchObject({ roundsDone: 1, bytesSent: 32, state: 'waiting-for-round' });
    expect(view().messages[0]).toBe('round 3 asked for again: sending the update already computed');
  });

  it('keeps an update finished during a coordinator restart until the coordinator reopens that round', async () => {
    const { link, trainer, view } = await waitingDevice(3);
    link.send('round:start', roundStart(3));
    await settle();
    link.drop();
    link.answerHello = () => helloReply('waiting', 2);
    link.open();
    await settle();
    trainer.finish();
    await settle();
    expect(link.updates).toHaveLength(0);
    expect(view()).toMatchObject({ state: 'waiting-for-round', roundsMissed: 0, job: { round: 3, phase: 'ready' } });
    expect(describeSituation(view())).toBe('The update for round 3 is kept until the coordinator hands round 3 out again.');
    link.send('round:start', roundStart(3));
    await settle();
    expect(link.updates.map((u) => u.round)).toEqual([3]);
    expect(trainer.jobs).toHaveLength(1);
    expect(view().roundsDone).toBe(1);
  });

  it('trains afresh when the same round comes back with a different model', async () => {
    const { link, trainer } = await waitingDevice(3);
    link.send('round:start', roundStart(3));
    await settle();
    trainer.finish();
    await settle();
    link.send('round:start', roundStart(3, new Uint8Array([9, 9, 9, 9])));
    await settle();
    expect(trainer.jobs).toHaveLength(2);
  });

  it('a fresh session (a reloaded tab) trains the round the coordinator re-sends after hello, and otherwise waits without a second download', async () => {
    const reloaded = await waitingDevice(4);
    expect(reloaded.view().state).toBe('waiting-for-round');
    expect(reloaded.trainer.jobs).toHaveLength(0);
    expect(describeSituation(reloaded.view())).toBe('The federation is training round 4 without this device; waiting for the next round.');
    reloaded.link.send('round:start', roundStart(4));
    await settle();
    expect(reloaded.view()).toMatchObject({ state: 'training', round: 4 });
    reloaded.link.drop();
    reloaded.link.open();
    await settle();
    expect(reloaded.adapters.downloads()).toBe(1);
  });

  it('says hello again on every reconnect, and a hello lost with its connection is no error', async () => {
    const { link, view } = joinedDevice();
    link.answerHello = () => new Promise(() => {}); // never answered
    link.open();
    await settle();
    link.reconnectAttempt(1);
    link.drop();
    link.reconnectAttempt(2);
    expect(view()).toMatchObject({ connection: 'reconnecting', reconnectAttempt: 2 });
    expect(describeSituation(view())).toBe('Connection lost (attempt 2): reconnecting; nothing to do until then.');
    link.answerHello = () => helloReply('waiting', 0);
    link.open();
    await settle();
    expect(link.hellos).toBe(2);
    expect(view()).toMatchObject({ state: 'waiting-for-round', connection: 'connected', reconnectAttempt: null });
    expect(view().messages).toEqual([]);
  });

  it('tries a refused hello again after a growing delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { link, view } = joinedDevice();
    link.answerHello = () => ({ ok: false, reason: 'the coordinator could not register this device; try again' });
    link.open();
    await settle();
    expect(view().state).toBe('error');
    expect(view().detail).toBe(
      'the coordinator did not let this device join (the coordinator could not register this device; try again); it asks again by itself in 5 s',
    );
    await vi.advanceTimersByTimeAsync(5_000);
    await settle();
    expect(link.hellos).toBe(2);
    link.answerHello = () => helloReply('waiting', 0);
    await vi.advanceTimersByTimeAsync(9_999);
    await settle();
    expect(link.hellos).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(link.hellos).toBe(3);
    expect(view().state).toBe('waiting-for-round');
  });

  it("sends its update when round:start arrived while the hello reply's credential was being kept (the older reply does not move the device back)", async () => {
    const link = new FakeLink();
    const trainer = new FakeTrainer();
    let persisted: () => void = () => {};
    const credentials = new DeviceCredentials(null, null, () => new Promise<void>((resolve) => (persisted = resolve)));
    let view: DeviceSessionView | null = null;
    const identity = { deviceId: 'device-0001', federationId: FEDERATION, backend: 'cpu' as const, adapter: null };
    const session = new DeviceSession(identity, { ...fakeAdapters(link, trainer), credentials }, (v) => (view = v));
    session.start();
    link.answerHello = () => ({ ...helloReply('waiting', 0), credential: 'device-credential' });
    link.open();
    await settle();
    // The coordinator started round 1 as soon as the device was admitted; IndexedDB is still writing the credential.
    link.send('round:start', roundStart(1));
    await settle();
    persisted();
    await settle();
    trainer.finish();
    await settle();
    expect(link.updates.map((u) => u.round)).toEqual([1]);
    expect(view!).toMatchObject({ roundsDone: 1, job: { round: 1, phase: 'sent' } });
  });

  it('drops a held update when the federation stops before reopening its round', async () => {
    const { link, trainer, view } = await waitingDevice(3);
    link.send('round:start', roundStart(3));
    await settle();
    link.drop();
    link.answerHello = () => helloReply('stopped', 2);
    link.open();
    await settle();
    trainer.finish();
    await settle();
    expect(link.updates).toHaveLength(0);
    expect(view()).toMatchObject({ roundsMissed: 1, lastMissed: { round: 3, reason: 'the federation is stopped' } });
  });
});

describe('DEVICE_RECONNECTION', () => {
  it('reconnects for ever, backing off from 0.5 s to at most 5 s with 50% jitter', () => {
    const manager = new Manager('http://127.0.0.1:9', { autoConnect: false, ...DEVICE_RECONNECTION });
    expect(manager.reconnection()).toBe(true);
    expect(manager.reconnectionAttempts()).toBe(Number.POSITIVE_INFINITY);
    expect(manager.reconnectionDelay()).toBe(500);
    expect(manager.reconnectionDelayMax()).toBe(5_000);
    expect(manager.randomizationFactor()).toBe(0.5);
    expect(manager.timeout()).toBe(10_000);
  });
});
