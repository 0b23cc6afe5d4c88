import { describe, expect, it } from 'vitest';
import { DeviceTraffic } from './deviceTraffic.ts';

describe('DeviceTraffic', () => {
  it('gives each contribution the bytes its device sent and was sent for that round, then forgets them', () => {
    const t = new DeviceTraffic();
    t.sent(1, ['a', 'b'], 400);
    t.sent(1, ['a'], 400); // the round sent again after a reconnect
    t.received(1, 'a', 100);
    t.received(1, 'b', 120);
    expect(t.settle([{ deviceId: 'a', round: 1 }, { deviceId: 'b', round: 1 }], 1)).toEqual([
      { deviceId: 'a', round: 1, bytesUp: 100, bytesDown: 800 },
      { deviceId: 'b', round: 1, bytesUp: 120, bytesDown: 400 },
    ]);
    expect(t.settle([{ deviceId: 'a', round: 1 }], 2)).toEqual([{ deviceId: 'a', round: 1 }]);
  });
});
