import { applyModelDelta, encodeModelDelta, encodeWeights, onDownlinkGrid, type DownlinkCodecName, type ModelBase, type WeightsManifest } from '@flock/fl-core';

interface SentModel {
  round: number;
  /** The coordinator's global model this was made from. */
  source: Float32Array;
  /** What every device that received this round holds, exactly (full or delta alike). */
  held: Float32Array;
  full: Uint8Array<ArrayBuffer>;
  /** Against the previous round's held model, when there is one and deltas are allowed. */
  delta: { base: ModelBase; bytes: Uint8Array<ArrayBuffer> } | null;
}

export interface DownlinkPayload {
  weights: Uint8Array<ArrayBuffer>;
  modelBase?: ModelBase;
}

/**
 * The global model as it goes down to devices. Without deltas: the model in the downlink codec.
 * With them (synchronous federations that allow it), a device that holds the previous round's model
 * (it said so in its hello, or trained on it) gets only the int8 delta from it, about half a float16
 * model; every other device gets the full model. Both routes give exactly the same held model
 * (codec/downlinkDelta.ts), so the next delta is always taken against what devices really hold.
 * Memory: the current round's model and the previous one's, whatever the number of devices.
 */
export class DownlinkModels {
  private current: SentModel | null = null;
  private previous: SentModel | null = null;
  /** The round whose model each device holds. */
  private readonly holds = new Map<string, number>();

  constructor(
    private readonly manifest: WeightsManifest,
    private readonly precision: DownlinkCodecName,
    private readonly deltas: boolean,
  ) {}

  /** A device said hello: it holds the model it declares, or none (a reloaded tab holds nothing). */
  deviceHello(deviceId: string, heldModel: number | undefined): void {
    if (heldModel === undefined) this.holds.delete(deviceId);
    else this.holds.set(deviceId, heldModel);
  }

  /** A device's update for `round` was accepted: it trained on, and holds, that round's model. */
  deviceTrained(deviceId: string, round: number): void {
    this.holds.set(deviceId, round);
  }

  /** What to send each of `deviceIds` for `round`, whose global model is `global`: devices grouped by payload. */
  payloadsFor(round: number, global: Float32Array, deviceIds: readonly string[]): { payload: DownlinkPayload; deviceIds: string[] }[] {
    const sent = this.modelOf(round, global);
    const full = { payload: { weights: sent.full }, deviceIds: [] as string[] };
    const delta = sent.delta && { payload: { weights: sent.delta.bytes, modelBase: sent.delta.base }, deviceIds: [] as string[] };
    for (const id of deviceIds) (delta && this.holds.get(id) === delta.payload.modelBase.round ? delta : full).deviceIds.push(id);
    return [full, ...(delta ? [delta] : [])].filter((g) => g.deviceIds.length > 0);
  }

  private modelOf(round: number, global: Float32Array): SentModel {
    if (this.current?.source === global && this.current.round === round) return this.current;
    // A round sent again with a new model (redone) chains from the same previous round.
    if (this.current && this.current.round < round) this.previous = this.current;
    const prior = this.previous && this.previous.round < round && this.deltas ? this.previous : null;
    let held: Float32Array;
    let delta: SentModel['delta'] = null;
    if (prior) {
      const bytes = encodeModelDelta(this.manifest, prior.held, global) as Uint8Array<ArrayBuffer>;
      held = applyModelDelta(prior.held, bytes, this.manifest, this.precision);
      delta = { base: { round: prior.round, precision: this.precision }, bytes };
    } else {
      held = onDownlinkGrid(global, this.precision);
    }
    // encodeWeights allocates a fresh ArrayBuffer, never a shared one.
    const full = encodeWeights(this.manifest, held, 'weights', { name: this.precision }) as Uint8Array<ArrayBuffer>;
    this.current = { round, source: global, held, full, delta };
    return this.current;
  }
}
