import { split } from 'shamir-secret-sharing';
import { deriveKey, x25519Agreement, generateKeyPair, KEY_BYTES, open, randomBytes, seal, type KeyPair } from './crypto.ts';
import { maskVector, pairwiseMaskInfo, pairwiseSign, shareAssociatedData, shareKeyInfo, type Masker, type MaskingWork } from './masking.ts';
import {
  bytesOfWords,
  SHARE_BYTES,
  type SecAggAdvertisement,
  type SecAggMaskedInput,
  type SecAggMaskedInputRequest,
  type SecAggRoundSettings,
  type SecAggShareKeysRequest,
  type SecAggShares,
  type SecAggUnmaskRequest,
  type SecAggUnmaskShares,
} from './messages.ts';
import type { SecAggResult } from './params.ts';

export interface SecAggRoundTag {
  federationId: string;
  round: number;
  deviceId: string;
}

type DeviceStage = 'share-keys' | 'masked-input' | 'unmask' | 'done';

/** The secrets of one neighbour a device holds shares of. */
interface HeldShares {
  seed: Uint8Array;
  key: Uint8Array;
}

const refuse = (reason: string) => ({ ok: false as const, reason });

/**
 * One device's side of one SecAgg+ round, pure and transport-free: each method takes what the coordinator sent for a
 * stage and returns what to send back, or a refusal with the reason (the device then sits the round out). Fresh keys
 * and a fresh self-mask seed per round; one instance per round.
 */
export class SecAggDevice {
  private readonly encryption: KeyPair = generateKeyPair();
  private readonly masking: KeyPair = generateKeyPair();
  private readonly selfMaskSeed = randomBytes(KEY_BYTES);
  private stage: DeviceStage = 'share-keys';
  private settings: SecAggRoundSettings | null = null;
  private neighbourKeys = new Map<string, { maskKey: Uint8Array; shareKey: Uint8Array<ArrayBuffer> }>();
  private ownShares: HeldShares | null = null;
  /** Shares received from neighbours: exactly the neighbours this device masked with. */
  private held = new Map<string, HeldShares>();

  /** `masker` quantizes and masks the update (a tab's runs in its training worker); by default, on this thread. */
  constructor(
    readonly tag: SecAggRoundTag,
    private readonly masker: Masker = maskVector,
  ) {}

  advertise(): SecAggAdvertisement {
    return { ...this.sender(), encryptionKey: this.encryption.publicKey, maskKey: this.masking.publicKey };
  }

  /** Stage 2: Shamir-splits the self-mask seed and the mask secret key among the group and seals one pair per neighbour. */
  async shareKeys(request: SecAggShareKeysRequest): Promise<SecAggResult<SecAggShares>> {
    const wrong = this.wrongMessage(request, 'share-keys');
    if (wrong) return refuse(wrong);
    const { settings, neighbours } = request;
    const ids = neighbours.map((n) => n.deviceId);
    if (ids.includes(this.tag.deviceId) || new Set(ids).size !== ids.length)
      return refuse('The coordinator listed this device or a neighbour twice among its neighbours, so this device sits the round out.');
    const groupSize = neighbours.length + 1;
    if (settings.threshold < 2 || settings.threshold > groupSize)
      return refuse(`The threshold ${settings.threshold} does not fit a group of ${groupSize} devices, so this device sits the round out.`);
    const [seedShares, keyShares] = await Promise.all([
      split(this.selfMaskSeed, groupSize, settings.threshold),
      split(this.masking.secretKey, groupSize, settings.threshold),
    ]);
    this.ownShares = { seed: seedShares[0]!, key: keyShares[0]! };
    const encryptionAgreement = await x25519Agreement(this.encryption);
    const shares: SecAggShares['shares'] = [];
    for (const [i, neighbour] of neighbours.entries()) {
      const shared = await encryptionAgreement(neighbour.encryptionKey);
      if (!shared) return refuse('A neighbour advertised an unusable public key, so this device sits the round out.');
      const key = await deriveKey(shared, shareKeyInfo(this.tag.federationId, this.tag.round));
      const plaintext = new Uint8Array(2 * SHARE_BYTES);
      plaintext.set(seedShares[i + 1]!);
      plaintext.set(keyShares[i + 1]!, SHARE_BYTES);
      const associated = shareAssociatedData(this.tag.federationId, this.tag.round, this.tag.deviceId, neighbour.deviceId);
      shares.push({ to: neighbour.deviceId, ciphertext: await seal(key, plaintext, associated) });
      this.neighbourKeys.set(neighbour.deviceId, { maskKey: neighbour.maskKey, shareKey: key });
    }
    this.settings = settings;
    this.stage = 'masked-input';
    return { ok: true, value: { ...this.sender(), shares } };
  }

  /**
   * Stage 3: opens the shares addressed to it, then masks `[w·clip(update)..., w]` (quantized) with its self mask and
   * one pairwise mask per neighbour that shared (added towards larger ids, subtracted towards smaller ones).
   * `random`, where given, drives stochastic rounding and distributed DP's noise (seeded in tests).
   */
  async maskInput(request: SecAggMaskedInputRequest, update: Float32Array, weight: number, random?: () => number): Promise<SecAggResult<SecAggMaskedInput>> {
    const wrong = this.wrongMessage(request, 'masked-input');
    if (wrong) return refuse(wrong);
    const settings = this.settings!;
    if (update.length !== settings.vectorLength)
      return refuse(`The update has ${update.length} values and the round expects ${settings.vectorLength}; this device sits the round out.`);
    const { federationId, round, deviceId } = this.tag;
    for (const { from, ciphertext } of request.ciphertexts) {
      const keys = this.neighbourKeys.get(from);
      if (!keys || this.held.has(from))
        return refuse('The coordinator forwarded a share from a device that is not a neighbour (or twice), so this device sits the round out.');
      const plaintext = await open(keys.shareKey, ciphertext, shareAssociatedData(federationId, round, from, deviceId));
      if (!plaintext)
        return refuse(
          'A share from a neighbour failed its integrity check (altered, or sealed for another device or round), so this device does not send its update this round.',
        );
      this.held.set(from, { seed: plaintext.slice(0, SHARE_BYTES), key: plaintext.slice(SHARE_BYTES) });
    }
    if (this.held.size + 1 < settings.threshold)
      return refuse(
        `Only ${this.held.size} neighbours shared keys and the threshold is ${settings.threshold}, so this device does not send its update this round.`,
      );
    const masks: MaskingWork['masks'] = [{ seed: this.selfMaskSeed, sign: 1 }];
    const maskAgreement = await x25519Agreement(this.masking);
    for (const peer of this.held.keys()) {
      const shared = await maskAgreement(this.neighbourKeys.get(peer)!.maskKey);
      if (!shared) return refuse('A neighbour advertised an unusable public key, so this device sits the round out.');
      masks.push({ seed: await deriveKey(shared, pairwiseMaskInfo(federationId, round, deviceId, peer)), sign: pairwiseSign(deviceId, peer) });
    }
    const masked = await this.masker({ update, weight, settings, masks }, random).catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    );
    if (masked instanceof Error)
      return refuse(`This device could not mask its update (${masked.message}), so it sits the round out; reload the page if this repeats.`);
    this.stage = 'unmask';
    return { ok: true, value: { ...this.sender(), masked: bytesOfWords(masked) } };
  }

  /**
   * Stage 4: seed shares of the survivors (itself included) and mask-key shares of the dropped. Refuses when a
   * neighbour is in both lists (both shares would unmask it), when fewer than t of its group survived, and any second call.
   */
  unmask(request: SecAggUnmaskRequest): SecAggResult<SecAggUnmaskShares> {
    const wrong = this.wrongMessage(request, 'unmask');
    if (wrong) return refuse(wrong);
    this.stage = 'done';
    const survivors = new Set(request.survivors.filter((id) => id !== this.tag.deviceId));
    const dropped = new Set(request.dropped);
    if (request.dropped.some((id) => survivors.has(id) || id === this.tag.deviceId))
      return refuse('The coordinator asked for both kinds of share for the same neighbour, which would reveal its update; this device refuses to unmask.');
    const unknown = [...survivors, ...dropped].find((id) => !this.held.has(id));
    if (unknown !== undefined)
      return refuse('The coordinator asked for shares of a device that did not share keys with this one; this device refuses to unmask.');
    const threshold = this.settings!.threshold;
    if (survivors.size + 1 < threshold)
      return refuse(
        `Only ${survivors.size + 1} of this device's group sent their updates and the threshold is ${threshold}; this device refuses to unmask and the round is redone.`,
      );
    return {
      ok: true,
      value: {
        ...this.sender(),
        seedShares: [{ of: this.tag.deviceId, share: this.ownShares!.seed }, ...[...survivors].map((of) => ({ of, share: this.held.get(of)!.seed }))],
        keyShares: [...dropped].map((of) => ({ of, share: this.held.get(of)!.key })),
      },
    };
  }

  /** What every message to the coordinator starts with: the round and this device. */
  private sender(): SecAggRoundTag {
    const { federationId, round, deviceId } = this.tag;
    return { federationId, round, deviceId };
  }

  private wrongMessage(message: { federationId: string; round: number }, expected: DeviceStage): string | null {
    if (message.federationId !== this.tag.federationId || message.round !== this.tag.round)
      return `The coordinator sent a secure-aggregation message for another round (round ${message.round}); this device ignores it.`;
    if (this.stage !== expected)
      return `The coordinator asked for the ${expected} stage while this device is at the ${this.stage} stage; this device sits the round out.`;
    return null;
  }
}
