import type { Contribution } from '../rounds/engineEffects.ts';
import type { CoordinatorTraffic, CountedUpdate, RoundTraffic } from '../storage/store.ts';

/** How many rounds back a sent model or an update may still be folded in (FedBuff's staleness included). */
const KEPT_ROUNDS = 1_000;

/** One device's traffic for one round: the attempt under way, and attempts called off before it. */
interface Traffic {
  up: number;
  down: number;
  abandonedUp: number;
  abandonedDown: number;
}

/** Several coordinators: what the others moved for a round, as its owner read it when it sealed the round. */
interface Elsewhere {
  totals: RoundTraffic;
  /** Of the devices whose update another coordinator took. */
  devices: Map<string, Traffic>;
}

/**
 * Bytes each device sent and received per round, from the model going out to the round being
 * stored, so each stored contribution carries its own traffic. An attempt called off (pause, too
 * few answers) is set apart, so the round that closes counts only the attempt that made it.
 * With several coordinators, the owner adds what the others moved (elsewhere). Entries of stored
 * rounds are dropped.
 */
export class DeviceTraffic {
  private readonly byRound = new Map<number, Map<string, Traffic>>();
  private readonly elsewhere = new Map<number, Elsewhere>();

  sent(round: number, deviceIds: readonly string[], bytes: number): void {
    for (const id of deviceIds) this.entry(round, id).down += bytes;
  }

  received(round: number, deviceId: string, bytes: number): void {
    this.entry(round, deviceId).up += bytes;
  }

  /** The round's attempt was called off: what it moved so far is its abandoned traffic. */
  abandoned(round: number): void {
    for (const t of this.byRound.get(round)?.values() ?? []) {
      t.abandonedUp += t.up;
      t.abandonedDown += t.down;
      t.up = 0;
      t.down = 0;
    }
  }

  /** One device's traffic of the round on this coordinator, as its update's receipt carries it. */
  device(round: number, deviceId: string): RoundTraffic {
    const t = this.byRound.get(round)?.get(deviceId);
    return { bytesDown: t?.down ?? 0, abandonedBytesUp: t?.abandonedUp ?? 0, abandonedBytesDown: t?.abandonedDown ?? 0 };
  }

  /**
   * Several coordinators, the owner: what the other coordinators moved for the round (their traffic and
   * the receipts of the updates they took), counted with this one's from now on.
   */
  addElsewhere(round: number, traffic: readonly CoordinatorTraffic[], receipts: readonly CountedUpdate[]): void {
    const totals = { bytesDown: 0, abandonedBytesUp: 0, abandonedBytesDown: 0 };
    for (const t of traffic) {
      totals.bytesDown += t.bytesDown;
      totals.abandonedBytesUp += t.abandonedBytesUp;
      totals.abandonedBytesDown += t.abandonedBytesDown;
    }
    const devices = new Map(
      receipts.map((r): [string, Traffic] => [
        r.deviceId,
        { up: r.bytesUp, down: r.bytesDown, abandonedUp: r.abandonedBytesUp, abandonedDown: r.abandonedBytesDown },
      ]),
    );
    this.elsewhere.set(round, { totals, devices });
  }

  /** The round's traffic over all its devices: the closing attempt's down, and what called-off attempts moved. */
  roundTotals(round: number): RoundTraffic {
    const totals = { ...(this.elsewhere.get(round)?.totals ?? { bytesDown: 0, abandonedBytesUp: 0, abandonedBytesDown: 0 }) };
    for (const t of this.byRound.get(round)?.values() ?? []) {
      totals.bytesDown += t.down;
      totals.abandonedBytesUp += t.abandonedUp;
      totals.abandonedBytesDown += t.abandonedDown;
    }
    return totals;
  }

  /** The contributions with their bytes (here and elsewhere); forgets what they used and rounds too old to be folded in. */
  settle(contributions: readonly Contribution[], aggregatedRound: number): Contribution[] {
    const settled = contributions.map((c) => {
      const here = this.byRound.get(c.round)?.get(c.deviceId);
      const there = this.elsewhere.get(c.round)?.devices.get(c.deviceId);
      this.byRound.get(c.round)?.delete(c.deviceId);
      const t = here && there ? sum(here, there) : (here ?? there);
      return t ? { ...c, bytesUp: t.up, bytesDown: t.down, abandonedBytesUp: t.abandonedUp, abandonedBytesDown: t.abandonedDown } : c;
    });
    for (const round of this.byRound.keys()) if (round <= aggregatedRound - KEPT_ROUNDS || this.byRound.get(round)!.size === 0) this.byRound.delete(round);
    for (const round of this.elsewhere.keys()) if (round <= aggregatedRound) this.elsewhere.delete(round);
    return settled;
  }

  private entry(round: number, deviceId: string): Traffic {
    let devices = this.byRound.get(round);
    if (!devices) this.byRound.set(round, (devices = new Map()));
    let e = devices.get(deviceId);
    if (!e) devices.set(deviceId, (e = { up: 0, down: 0, abandonedUp: 0, abandonedDown: 0 }));
    return e;
  }
}

function sum(a: Traffic, b: Traffic): Traffic {
  return { up: a.up + b.up, down: a.down + b.down, abandonedUp: a.abandonedUp + b.abandonedUp, abandonedDown: a.abandonedDown + b.abandonedDown };
}
