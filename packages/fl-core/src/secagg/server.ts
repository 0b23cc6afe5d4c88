import { combine } from 'shamir-secret-sharing';
import type { z } from 'zod';
import type { SecureAggregationConfig } from './config.ts';
import { deriveKey, publicKeyOf, x25519Agreement } from './crypto.ts';
import { pairwiseMaskInfo, pairwiseSign, type MaskJob, type MaskSummer } from './masking.ts';
import { addWords, MaskAdder } from './maskStream.ts';
import {
  SecAggAdvertisement,
  SecAggMaskedInput,
  SecAggShares,
  SecAggUnmaskShares,
  wordsOf,
  type SecAggMaskedInputRequest,
  type SecAggRoundSettings,
  type SecAggShareKeysRequest,
  type SecAggUnmaskRequest,
} from './messages.ts';
import { isConnected, neighbourGraph } from './neighbourGraph.ts';
import { deriveSecAggParams, type SecAggResult } from './params.ts';
import { dequantizeMean, quantizationLevels, type DistributedNoise, type WeightedMean } from './quantize.ts';

export interface SecAggServerOptions {
  federationId: string;
  round: number;
  /** Parameters of the model update (the masked vector has one more entry: the weight). */
  vectorLength: number;
  clip: number;
  maxWeight: number;
  /** Published to the devices; places them on the neighbour ring. */
  roundSeed: string;
  config?: Pick<SecureAggregationConfig, 'neighbours' | 'threshold'>;
  /** Distributed DP: the devices add noise, and the quantization leaves room for it. */
  noise?: DistributedNoise | undefined;
  /** Expands the masks to remove when unmasking (the coordinator's worker threads); absent: this thread adds them in place. */
  maskSummer?: MaskSummer | undefined;
}

export type SecAggServerStage = 'advertise' | 'share-keys' | 'masked-input' | 'unmask' | 'finished' | 'aborted';

/** What the round yields: the unmasked quantized sum, never an individual update. */
export interface SecAggSum extends WeightedMean {
  /** Σ quantized `[w·clip(update)..., w]` mod 2^32 over the contributors. */
  sum: Uint32Array;
  contributors: number;
}

export type Acceptance = { ok: true } | { ok: false; reason: string };

interface PublicKeys {
  encryptionKey: Uint8Array;
  maskKey: Uint8Array;
}

const refuse = (reason: string) => ({ ok: false as const, reason });

/**
 * The coordinator's side of one SecAgg+ round, pure and transport-free. `receive*` take untrusted payloads (validated
 * here; never throws, refuses with a reason), `close*` end a stage (at its deadline, or once `pending()` is empty) and
 * return each device's next message, or an abort with the reason: the caller then redoes the round in the clear of
 * nothing. Masked vectors are added into one running sum as they arrive (O(model) memory).
 */
export class SecAggServer {
  private stageNow: SecAggServerStage = 'advertise';
  private readonly keys = new Map<string, PublicKeys>();
  private settings: SecAggRoundSettings | null = null;
  private graph = new Map<string, string[]>();
  private readonly sealedShares = new Map<string, SecAggShares['shares']>();
  private readonly masked = new Set<string>();
  private sum: Uint32Array;
  private readonly unmasked = new Set<string>();
  private readonly seedShares = new Map<string, Uint8Array[]>();
  private readonly keyShares = new Map<string, Uint8Array[]>();

  constructor(private readonly options: SecAggServerOptions) {
    this.sum = new Uint32Array(options.vectorLength + 1);
  }

  get stage(): SecAggServerStage {
    return this.stageNow;
  }

  /** Devices the current stage still waits for (empty before the first close: anyone may advertise). */
  pending(): string[] {
    const waitingIn = (expected: Iterable<string>, arrived: { has(id: string): boolean }) => [...expected].filter((id) => !arrived.has(id));
    switch (this.stageNow) {
      case 'share-keys':
        return waitingIn(this.keys.keys(), this.sealedShares);
      case 'masked-input':
        return waitingIn(this.sealedShares.keys(), this.masked);
      case 'unmask':
        return waitingIn(this.masked, this.unmasked);
      case 'advertise':
      case 'finished':
      case 'aborted':
        return [];
      default:
        return this.stageNow satisfies never;
    }
  }

  receiveAdvertisement(deviceId: string, payload: unknown): Acceptance {
    const parsed = this.parse(SecAggAdvertisement, payload, deviceId, 'advertise', 'key advertisement');
    if (!parsed.ok) return parsed;
    this.keys.set(deviceId, { encryptionKey: parsed.value.encryptionKey, maskKey: parsed.value.maskKey });
    return { ok: true };
  }

  /** Ends stage 1: builds the neighbour graph over the devices that advertised and tells each its neighbours' keys. */
  closeAdvertisements(): SecAggResult<Map<string, SecAggShareKeysRequest>> {
    if (this.stageNow !== 'advertise') return refuse(this.outOfStage('advertise'));
    const ids = [...this.keys.keys()];
    const params = deriveSecAggParams(ids.length, this.options.config);
    if (!params.ok) return this.abort(params.reason);
    const { federationId, round, vectorLength, clip, maxWeight, noise } = this.options;
    const sizing = noise && { noise, threshold: params.value.threshold, vectorLength, clip };
    const levels = quantizationLevels(ids.length, sizing);
    const settings: SecAggRoundSettings = { deviceCount: ids.length, ...params.value, vectorLength, clip, maxWeight, levels, ...(noise ? { noise } : {}) };
    this.settings = settings;
    this.graph = neighbourGraph(ids, settings.neighbours, this.options.roundSeed);
    const requests = new Map<string, SecAggShareKeysRequest>();
    for (const [id, peers] of this.graph)
      requests.set(id, { federationId, round, settings, neighbours: peers.map((peer) => ({ deviceId: peer, ...this.keys.get(peer)! })) });
    this.stageNow = 'share-keys';
    return { ok: true, value: requests };
  }

  receiveShares(deviceId: string, payload: unknown): Acceptance {
    const parsed = this.parse(SecAggShares, payload, deviceId, 'share-keys', 'key shares');
    if (!parsed.ok) return parsed;
    const expected = this.graph.get(deviceId)!;
    const addressed = new Set(parsed.value.shares.map((s) => s.to));
    if (addressed.size !== parsed.value.shares.length || addressed.size !== expected.length || !expected.every((id) => addressed.has(id)))
      return refuse('The shares must go to exactly this device’s neighbours, one each; they were refused.');
    this.sealedShares.set(deviceId, parsed.value.shares);
    return { ok: true };
  }

  /** Ends stage 2: hands each device that shared the sealed shares its sharing neighbours addressed to it. */
  closeShares(): SecAggResult<Map<string, SecAggMaskedInputRequest>> {
    if (this.stageNow !== 'share-keys') return refuse(this.outOfStage('share-keys'));
    const below = this.belowThreshold(this.sealedShares.size, 'shared their keys');
    if (below) return this.abort(below);
    const { federationId, round } = this.options;
    const requests = new Map<string, SecAggMaskedInputRequest>();
    for (const id of this.sealedShares.keys()) requests.set(id, { federationId, round, ciphertexts: [] });
    for (const [from, shares] of this.sealedShares) for (const { to, ciphertext } of shares) requests.get(to)?.ciphertexts.push({ from, ciphertext });
    this.stageNow = 'masked-input';
    return { ok: true, value: requests };
  }

  /** Adds the masked vector into the running sum at once; the vector itself is not kept. */
  receiveMaskedInput(deviceId: string, payload: unknown): Acceptance {
    const parsed = this.parse(SecAggMaskedInput, payload, deviceId, 'masked-input', 'masked update');
    if (!parsed.ok) return parsed;
    const words = wordsOf(parsed.value.masked);
    if (words.length !== this.sum.length)
      return refuse(`The masked update has ${words.length} values and this round's model needs ${this.sum.length}; it was refused.`);
    addWords(this.sum, words, 1);
    this.masked.add(deviceId);
    return { ok: true };
  }

  /** Ends stage 3: asks each contributor for seed shares of its surviving neighbours and key shares of the dropped. */
  closeMaskedInput(): SecAggResult<Map<string, SecAggUnmaskRequest>> {
    if (this.stageNow !== 'masked-input') return refuse(this.outOfStage('masked-input'));
    const below = this.belowThreshold(this.masked.size, 'sent masked updates');
    if (below) return this.abort(below);
    if (!isConnected(this.masked, this.graph))
      return this.abort(
        'The devices that sent masked updates split into groups that share no masks, so publishing their sum would reveal each group’s sum; the round is redone.',
      );
    const { federationId, round } = this.options;
    const requests = new Map<string, SecAggUnmaskRequest>();
    for (const id of this.masked) {
      const sharing = this.graph.get(id)!.filter((peer) => this.sealedShares.has(peer));
      requests.set(id, {
        federationId,
        round,
        survivors: sharing.filter((peer) => this.masked.has(peer)),
        dropped: sharing.filter((peer) => !this.masked.has(peer)),
      });
    }
    this.sealedShares.forEach((_, id) => this.sealedShares.set(id, []));
    this.stageNow = 'unmask';
    return { ok: true, value: requests };
  }

  receiveUnmaskShares(deviceId: string, payload: unknown): Acceptance {
    const parsed = this.parse(SecAggUnmaskShares, payload, deviceId, 'unmask', 'unmask message');
    if (!parsed.ok) return parsed;
    const group = new Set([deviceId, ...this.graph.get(deviceId)!]);
    const { seedShares, keyShares } = parsed.value;
    const seedOk = seedShares.every((s) => group.has(s.of) && this.masked.has(s.of));
    const keyOk = keyShares.every((s) => group.has(s.of) && this.sealedShares.has(s.of) && !this.masked.has(s.of));
    const ofs = [...seedShares, ...keyShares].map((s) => s.of);
    if (!seedOk || !keyOk || new Set(ofs).size !== ofs.length)
      return refuse('The unmask shares must cover this device’s own group, once each: seed shares of survivors, key shares of the dropped.');
    for (const { of, share } of seedShares) pushTo(this.seedShares, of, share);
    for (const { of, share } of keyShares) pushTo(this.keyShares, of, share);
    this.unmasked.add(deviceId);
    return { ok: true };
  }

  /** Ends stage 4: rebuilds the survivors' self-mask seeds and the dropped devices' mask keys, removes their masks. */
  async finish(): Promise<SecAggResult<SecAggSum>> {
    if (this.stageNow !== 'unmask') return refuse(this.outOfStage('unmask'));
    const { threshold } = this.settings!;
    const { federationId, round } = this.options;
    const jobs: MaskJob[] = [];
    for (const id of this.masked) {
      const seed = await reconstruct(this.seedShares.get(id) ?? [], threshold);
      if (!seed) return this.abort(this.tooFewShares(this.seedShares.get(id)?.length ?? 0));
      jobs.push({ seed: async () => seed, sign: -1 });
    }
    for (const [dropped, shares] of this.keyShares) {
      const secretKey = await reconstruct(shares, threshold);
      if (!secretKey) return this.abort(this.tooFewShares(shares.length));
      const maskKey = this.keys.get(dropped)!.maskKey;
      if (!sameBytes(publicKeyOf(secretKey), maskKey))
        return this.abort('The shares of a dropped device did not rebuild its key (a device sent a wrong share); the round is redone.');
      const agreement = await x25519Agreement({ secretKey, publicKey: maskKey });
      for (const survivor of this.graph.get(dropped)!.filter((peer) => this.masked.has(peer))) {
        const shared = await agreement(this.keys.get(survivor)!.maskKey);
        if (!shared) return this.abort('A device advertised an unusable public key; the round is redone.');
        jobs.push({
          seed: () => deriveKey(shared, pairwiseMaskInfo(federationId, round, survivor, dropped)),
          sign: pairwiseSign(survivor, dropped) === 1 ? -1 : 1,
        });
      }
    }
    await this.removeMasks(jobs);
    const result = dequantizeMean(this.sum, this.masked.size, this.settings!);
    if (!result) return this.abort('The contributing devices declared no examples, so their updates carry no weight; the round is redone.');
    this.stageNow = 'finished';
    return { ok: true, value: { ...result, sum: this.sum, contributors: this.masked.size } };
  }

  /** Removes the masks from the sum: in place on this thread, or as one summed vector from the mask summer. */
  private async removeMasks(jobs: readonly MaskJob[]): Promise<void> {
    const masks = await Promise.all(jobs.map(async ({ seed, sign }) => ({ seed: await seed(), sign })));
    const summer = this.options.maskSummer;
    if (summer) addWords(this.sum, await summer(masks, this.sum.length), 1);
    else (await MaskAdder.create()).addAll(this.sum, masks);
  }

  private parse<T extends { federationId: string; round: number; deviceId: string }>(
    schema: z.ZodType<T>,
    payload: unknown,
    deviceId: string,
    stage: SecAggServerStage,
    what: string,
  ): SecAggResult<T> {
    if (this.stageNow !== stage) return refuse(this.outOfStage(stage));
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return refuse(`The ${what} was malformed and was refused; update the device's app.`);
    const { federationId, round } = this.options;
    if (parsed.data.federationId !== federationId || parsed.data.round !== round)
      return refuse(`The ${what} belongs to another round (round ${parsed.data.round}) and was ignored.`);
    if (parsed.data.deviceId !== deviceId) return refuse(`The ${what} names another device than the one that sent it and was refused.`);
    const { admitted, arrived, notAdmitted } = this.admission(stage);
    if (!admitted(deviceId)) return refuse(notAdmitted);
    if (arrived.has(deviceId)) return refuse(`This device already sent its ${what} for this round.`);
    return { ok: true, value: parsed.data };
  }

  /** Who may send in a stage (those who completed the previous one) and who already did. */
  private admission(stage: SecAggServerStage): { admitted: (id: string) => boolean; arrived: { has(id: string): boolean }; notAdmitted: string } {
    switch (stage) {
      case 'advertise':
        return { admitted: () => true, arrived: this.keys, notAdmitted: '' };
      case 'share-keys':
        return {
          admitted: (id) => this.keys.has(id),
          arrived: this.sealedShares,
          notAdmitted: 'This device did not advertise keys this round, so its shares are refused.',
        };
      case 'masked-input':
        return {
          admitted: (id) => this.sealedShares.has(id),
          arrived: this.masked,
          notAdmitted: 'This device did not share its keys this round, so its masked update is refused.',
        };
      case 'unmask':
        return { admitted: (id) => this.masked.has(id), arrived: this.unmasked, notAdmitted: 'Only devices that sent a masked update take part in unmasking.' };
      case 'finished':
      case 'aborted':
        return { admitted: () => false, arrived: this.unmasked, notAdmitted: this.outOfStage(stage) };
      default:
        return stage satisfies never;
    }
  }

  private outOfStage(expected: SecAggServerStage): string {
    if (this.stageNow === 'aborted') return 'This round’s secure aggregation was aborted; the message was ignored and the round will be redone.';
    return `Secure aggregation is at the ${this.stageNow} stage, not ${expected}; the message was ignored.`;
  }

  private belowThreshold(count: number, what: string): string | null {
    const threshold = this.settings!.threshold;
    return count < threshold
      ? `Only ${count} devices ${what} and secure aggregation needs at least ${threshold}, so no sum is published; the round is redone.`
      : null;
  }

  private tooFewShares(count: number): string {
    return `Only ${count} devices returned the shares needed to remove one device’s masks and ${this.settings!.threshold} are needed, so no sum is published; the round is redone.`;
  }

  private abort<T>(reason: string): SecAggResult<T> {
    this.stageNow = 'aborted';
    this.sum = new Uint32Array(0);
    return refuse(reason);
  }
}

function pushTo(map: Map<string, Uint8Array[]>, key: string, value: Uint8Array): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

async function reconstruct(shares: readonly Uint8Array[], threshold: number): Promise<Uint8Array | null> {
  if (shares.length < threshold) return null;
  try {
    return await combine(shares.slice(0, threshold));
  } catch {
    return null;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
