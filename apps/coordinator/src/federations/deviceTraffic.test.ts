import { describe, expect, it } from 'vitest';
import { DeviceTraffic } from './deviceTraffic.ts';

describe('DeviceTraffic', () => {
  it('gives each contribution the bytes its device sent and was sent for that round, then forgets them', () => {
    const t = new DeviceTraffic();
    t.sent(1, ['a', 'b'], 400);
    t.sent(1, ['a'], 400); // the round sent again after a reconnect
    t.received(1, 'a', 100);
    t.received(1, 'b', 120);
    expect(
      t.settle(
        [
          { deviceId: 'a', round: 1 },
          { deviceId: 'b', round: 1 },
        ],
        1,
      ),
    ).toEqual([
      { deviceId: 'a', round: 1, bytesUp: 100, bytesDown: 800, abandonedBytesUp: 0, abandonedBytesDown: 0 },
      { deviceId: 'b', round: 1, bytesUp: 120, bytesDown: 400, abandonedBytesUp: 0, abandonedBytesDown: 0 },
    ]);
    expect(t.settle([{ deviceId: 'a', round: 1 }], 2)).toEqual([{ deviceId: 'a', round: 1 }]);
  });
});

describe('DeviceTraffic, called-off attempts', () => {
  it('counts a round only by the attempt that closed it and keeps the called-off attempt apart', () => {
    const t = new DeviceTraffic();
    t.sent(1, ['a', 'b'], 1_000);
    t.received(1, 'a', 300);
    t.abandoned(1); // paused: the attempt is called off
    t.sent(1, ['a', 'b'], 1_000);
    t.received(1, 'a', 310);
    t.received(1, 'b', 320);
    expect(t.roundTotals(1)).toEqual({ bytesDown: 2_000, abandonedBytesUp: 300, abandonedBytesDown: 2_000 });
    expect(
      t.settle(
        [
          { deviceId: 'a', round: 1 },
          { deviceId: 'b', round: 1 },
        ],
        1,
      ),
    ).toEqual([
      { deviceId: 'a', round: 1, bytesUp: 310, bytesDown: 1_000, abandonedBytesUp: 300, abandonedBytesDown: 1_000 },
      { deviceId: 'b', round: 1, bytesUp: 320, bytesDown: 1_000, abandonedBytesUp: 0, abandonedBytesDown: 1_000 },
    ]);
  });
});

describe('DeviceTraffic, several coordinators', () => {
  it("counts what the other coordinators moved once, with this one's: the round's totals and each contribution", () => {
    const t = new DeviceTraffic();
    t.sent(1, ['a', 'b'], 1_000);
    t.received(1, 'a', 300);
    expect(t.device(1, 'a')).toEqual({ bytesDown: 1_000, abandonedBytesUp: 0, abandonedBytesDown: 0 });
    // b moved to the other coordinator, was sent the model again there and answered there; c, there too, never answered.
    const there = { bytesDown: 1_000, abandonedBytesUp: 50, abandonedBytesDown: 500 };
    t.addElsewhere(
      1,
      [{ coordinatorId: 'other', ...there, bytesDown: 2_000 }],
      [{ deviceId: 'b', coordinatorId: 'other', examples: 1, loss: 0, accuracy: 0, bytesUp: 310, ...there }],
    );
    expect(t.roundTotals(1)).toEqual({ bytesDown: 4_000, abandonedBytesUp: 50, abandonedBytesDown: 500 });
    expect(
      t.settle(
        [
          { deviceId: 'a', round: 1 },
          { deviceId: 'b', round: 1 },
        ],
        1,
      ),
    ).toEqual([
      { deviceId: 'a', round: 1, bytesUp: 300, bytesDown: 1_000, abandonedBytesUp: 0, abandonedBytesDown: 0 },
      { deviceId: 'b', round: 1, bytesUp: 310, bytesDown: 2_000, abandonedBytesUp: 50, abandonedBytesDown: 500 },
    ]);
    expect(t.roundTotals(1)).toEqual({ bytesDown: 0, abandonedBytesUp: 0, abandonedBytesDown: 0 });
  });
});
