import { describe, expect, it } from 'vitest';
import { drawDropout, drawSlowDevices, RoundProgress } from './deviceBehaviour.ts';

const ids = Array.from({ length: 50 }, (_, i) => `dev-${i}`);

describe('simulated device behaviour', () => {
  it('makes exactly round(fraction x devices) devices slow, the same ones for the same seed', () => {
    const slow = drawSlowDevices(ids, 0.3, 7);
    expect(slow.size).toBe(15);
    expect([...drawSlowDevices([...ids].reverse(), 0.3, 7)].sort()).toEqual([...slow].sort());
    expect([...drawSlowDevices(ids, 0.3, 8)].sort()).not.toEqual([...slow].sort());
    expect(drawSlowDevices(ids, 0, 7).size).toBe(0);
  });

  it('drops a device out of a round with the given probability, reproducibly, and never at probability 0', () => {
    let drops = 0;
    for (const id of ids) for (let round = 1; round <= 40; round++) if (drawDropout(1, id, round, 0, 0.2).drop) drops++;
    expect(drops / (ids.length * 40)).toBeGreaterThan(0.17);
    expect(drops / (ids.length * 40)).toBeLessThan(0.23);
    expect(drawDropout(1, 'dev-3', 5, 0, 0.5)).toEqual(drawDropout(1, 'dev-3', 5, 0, 0.5));
    expect(ids.some((id) => drawDropout(1, id, 1, 0, 0).drop)).toBe(false);
    const draw = ids.map((id) => drawDropout(1, id, 1, 0, 1)).find((d) => d.drop);
    expect(draw).toMatchObject({ at: expect.any(Number), pauseMs: expect.any(Number) });
    if (draw?.drop) expect(draw.pauseMs).toBeGreaterThanOrEqual(500);
  });

  it('knows a round is over once any device heard it close, and a late broadcast does not move that back', () => {
    const progress = new RoundProgress();
    progress.observe({ status: 'training', round: 3 });
    expect(progress.isClosed(2)).toBe(true);
    expect(progress.isClosed(3)).toBe(false);
    progress.observe({ status: 'aggregating', round: 3 });
    expect(progress.isClosed(3)).toBe(true);
    progress.observe({ status: 'training', round: 3 }); // another device's copy of an older broadcast
    expect(progress.isClosed(3)).toBe(true);
    progress.observe({ status: 'paused', round: 4 });
    expect(progress.isClosed(4)).toBe(false);
  });

  it('ends an attempt that was running when a device left once its round closes or is abandoned to be redone, so the device comes back for the redo', () => {
    const progress = new RoundProgress();
    progress.observe({ status: 'training', round: 2 });
    expect(progress.attemptEnded(2, 1_000)).toBe(false);
    progress.abandoned(2, 900); // an earlier attempt's abandonment, heard before the device left
    expect(progress.attemptEnded(2, 1_000)).toBe(false);
    progress.abandoned(2, 1_500);
    progress.abandoned(2, 1_200); // another device's copy, heard later
    expect(progress.attemptEnded(2, 1_000)).toBe(true);
    expect(progress.attemptEnded(2, 2_000)).toBe(false);
    progress.observe({ status: 'training', round: 3 });
    expect(progress.attemptEnded(2, 2_000)).toBe(true);
  });
});
