import { describe, expect, it } from 'vitest';
import { EventLoopYield } from './eventLoopYield.ts';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('EventLoopYield', () => {
  it('lets a timer run in the middle of a long loop of short steps that pause between them', async () => {
    const breather = new EventLoopYield(20);
    let timerRanAtStep: number | null = null;
    setTimeout(() => (timerRanAtStep = step), 0);
    let step = 0;
    for (; step < 40; step++) {
      busy(5);
      await breather.pause();
    }
    expect(timerRanAtStep).not.toBeNull();
    expect(timerRanAtStep).toBeLessThan(40);
  });
});
