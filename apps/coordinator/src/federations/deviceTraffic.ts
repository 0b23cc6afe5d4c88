import type { Contribution } from '../rounds/engineEffects.ts';

/** How many rounds back a sent model or an update may still be folded in (FedBuff's staleness included). */
const KEPT_ROUNDS = 1_000;

/**
 * Bytes each device sent and received per round, from the model going out to the round being
 * stored, so each stored contribution carries its own traffic. Entries of stored rounds are dropped.
 */
export class DeviceTraffic {
  private readonly byRound = new Map<number, Map<string, { up: number; down: number }>>();

  sent(round: number, deviceIds: readonly string[], bytes: number): void {
    for (const id of deviceIds) this.entry(round, id).down += bytes;
  }

  received(round: number, deviceId: string, bytes: number): void {
    this.entry(round, deviceId).up += bytes;
  }

  /** The contributions with their bytes; forgets what they used and rounds too old to be folded in. */
  settle(contributions: readonly Contribution[], aggregatedRound: number): Contribution[] {
    const settled = contributions.map((c) => {
      const t = this.byRound.get(c.round)?.get(c.deviceId);
      this.byRound.get(c.round)?.delete(c.deviceId);
      return t ? { ...c, bytesUp: t.up, bytesDown: t.down } : c;
    });
    for (const round of this.byRound.keys()) if (round <= aggregatedRound - KEPT_ROUNDS || this.byRound.get(round)!.size === 0) this.byRound.delete(round);
    return settled;
  }

  private entry(round: number, deviceId: string): { up: number; down: number } {
    let devices = this.byRound.get(round);
    if (!devices) this.byRound.set(round, (devices = new Map()));
    let e = devices.get(deviceId);
    if (!e) devices.set(deviceId, (e = { up: 0, down: 0 }));
    return e;
  }
}
