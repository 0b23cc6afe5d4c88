import { z } from 'zod';
import { BinaryPayload, DeviceId, FederationId } from '../protocol/device.ts';
import { MAX_SECAGG_GROUP } from './config.ts';
import { KEY_BYTES, sealedLength } from './crypto.ts';

/**
 * One zod schema per message of the four stages. Binary fields are Uint8Array (Socket.IO carries them as binary; a
 * browser receives ArrayBuffer, normalised here). Every message names its federation and round, so a late message from
 * another round is refused.
 */

/** A Shamir share of a 32-byte secret: the secret's length plus the share's x coordinate. */
export const SHARE_BYTES = KEY_BYTES + 1;
/** A sealed share pair (self-mask seed share, mask-key share) addressed to one neighbour. */
export const SHARE_CIPHERTEXT_BYTES = sealedLength(2 * SHARE_BYTES);
/** Masked vectors cap at 64M entries (the update plus its weight), 256 MiB of uint32. */
export const MAX_SECAGG_VECTOR = 64 * 1024 * 1024;

/**
 * Binary fields up to this size (keys, shares, sealed shares) travel as base64 text (toWire): Socket.IO's parser refuses a
 * packet with more than 10 binary attachments, and a SecAgg message carries one or two per neighbour. A masked vector
 * stays binary.
 */
const WIRE_TEXT_BYTES = 1024;

/**
 * Typed as plain Uint8Array, so that bytes from @noble/curves and WebCrypto fit the message types; base64 text (toWire)
 * and a Node Buffer (what Socket.IO delivers in Node) become plain arrays, since shamir-secret-sharing refuses any subclass.
 */
const Bytes = z
  .union([
    z
      .base64()
      .max(2 * WIRE_TEXT_BYTES)
      .transform(fromBase64),
    BinaryPayload,
  ])
  .transform((b): Uint8Array => (b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
const bytesOf = (length: number, what: string) => Bytes.refine((b) => b.length === length, `${what} must be ${length} bytes`);
const PublicKey = bytesOf(KEY_BYTES, 'a public key');
const Share = bytesOf(SHARE_BYTES, 'a share');
const ShareCiphertext = bytesOf(SHARE_CIPHERTEXT_BYTES, 'an encrypted share');
const Round = z.number().int().min(0);
const Peers = z.array(DeviceId).max(MAX_SECAGG_GROUP);
const RoundTag = { federationId: FederationId, round: Round };

/** Stage 1, device → coordinator: two fresh public keys, one to encrypt shares, one for pairwise masks. */
export const SecAggAdvertisement = z.object({ ...RoundTag, deviceId: DeviceId, encryptionKey: PublicKey, maskKey: PublicKey });
export type SecAggAdvertisement = z.infer<typeof SecAggAdvertisement>;

/** What every device of the round must agree on, sent with its neighbours' keys. */
export const SecAggRoundSettings = z.object({
  deviceCount: z.number().int().min(2),
  neighbours: z.number().int().min(2).max(MAX_SECAGG_GROUP),
  threshold: z.number().int().min(2).max(MAX_SECAGG_GROUP),
  vectorLength: z
    .number()
    .int()
    .min(1)
    .max(MAX_SECAGG_VECTOR - 1),
  clip: z.number().positive(),
  maxWeight: z.number().positive(),
  levels: z.number().int().min(1),
  /** Distributed DP: each device clips its update to the L2 norm clipNorm and adds discrete Gaussian noise (quantizeWithNoise). */
  noise: z.object({ clipNorm: z.number().positive(), noiseMultiplier: z.number().min(0).max(1000) }).optional(),
});
export type SecAggRoundSettings = z.infer<typeof SecAggRoundSettings>;

/** Stage 2, coordinator → device: the round's settings and its neighbours' public keys. */
export const SecAggShareKeysRequest = z.object({
  ...RoundTag,
  settings: SecAggRoundSettings,
  neighbours: z.array(SecAggAdvertisement.omit({ federationId: true, round: true })).max(MAX_SECAGG_GROUP),
});
export type SecAggShareKeysRequest = z.infer<typeof SecAggShareKeysRequest>;

/** Stage 2, device → coordinator: one sealed share pair per neighbour. */
export const SecAggShares = z.object({
  ...RoundTag,
  deviceId: DeviceId,
  shares: z.array(z.object({ to: DeviceId, ciphertext: ShareCiphertext })).max(MAX_SECAGG_GROUP),
});
export type SecAggShares = z.infer<typeof SecAggShares>;

/** Stage 3, coordinator → device: the sealed shares its neighbours addressed to it. */
export const SecAggMaskedInputRequest = z.object({
  ...RoundTag,
  ciphertexts: z.array(z.object({ from: DeviceId, ciphertext: ShareCiphertext })).max(MAX_SECAGG_GROUP),
});
export type SecAggMaskedInputRequest = z.infer<typeof SecAggMaskedInputRequest>;

/** Stage 3, device → coordinator: its quantized weighted update plus masks, uint32 little-endian. */
export const SecAggMaskedInput = z.object({
  ...RoundTag,
  deviceId: DeviceId,
  masked: Bytes.refine((b) => b.length % 4 === 0 && b.length > 0 && b.length <= 4 * MAX_SECAGG_VECTOR, 'a masked vector is whole uint32 words'),
});
export type SecAggMaskedInput = z.infer<typeof SecAggMaskedInput>;

/** Stage 4, coordinator → device: which of its neighbours sent a masked vector and which dropped after sharing keys. */
export const SecAggUnmaskRequest = z.object({ ...RoundTag, survivors: Peers, dropped: Peers });
export type SecAggUnmaskRequest = z.infer<typeof SecAggUnmaskRequest>;

/** Stage 4, device → coordinator: self-mask seed shares of survivors (itself included), mask-key shares of the dropped. */
export const SecAggUnmaskShares = z.object({
  ...RoundTag,
  deviceId: DeviceId,
  seedShares: z.array(z.object({ of: DeviceId, share: Share })).max(MAX_SECAGG_GROUP),
  keyShares: z.array(z.object({ of: DeviceId, share: Share })).max(MAX_SECAGG_GROUP),
});
export type SecAggUnmaskShares = z.infer<typeof SecAggUnmaskShares>;

/** A masked vector's words; copies when the bytes are not 4-aligned (a Buffer slice of a socket frame may not be). */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  return bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : new Uint32Array(bytes.slice().buffer);
}

export function bytesOfWords(words: Uint32Array): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/** The four SecAgg+ exchanges, in order. */
export const SecAggStage = z.enum(['advertise', 'share-keys', 'masked-input', 'unmask']);
export type SecAggStage = z.infer<typeof SecAggStage>;
export const SECAGG_STAGES = SecAggStage.options;

/** Stage 1, coordinator → device: advertise fresh keys for this round. */
export const SecAggAdvertiseRequest = z.object(RoundTag);
export type SecAggAdvertiseRequest = z.infer<typeof SecAggAdvertiseRequest>;

const stageRequest = <S extends SecAggStage, R extends z.ZodType>(stage: S, request: R) =>
  z.object({ stage: z.literal(stage), /** Epoch ms: the coordinator closes the stage then. */ deadline: z.number(), request });

/** Coordinator → device (`secagg:request`): one stage's request; the device answers with `secagg:answer` before the deadline. */
export const SecAggRequestMessage = z.discriminatedUnion('stage', [
  stageRequest('advertise', SecAggAdvertiseRequest),
  stageRequest('share-keys', SecAggShareKeysRequest),
  stageRequest('masked-input', SecAggMaskedInputRequest),
  stageRequest('unmask', SecAggUnmaskRequest),
]);
export type SecAggRequestMessage = z.input<typeof SecAggRequestMessage>;
export type ParsedSecAggRequestMessage = z.output<typeof SecAggRequestMessage>;

/**
 * Device → coordinator (`secagg:answer`, acknowledged): the stage's answer. The envelope is checked at the socket; the
 * answer by the stage's own schema in the coordinator's SecAggServer, which knows the round it belongs to.
 */
export const SecAggAnswerMessage = z.object({ stage: SecAggStage, answer: z.unknown() });
export type SecAggAnswerMessage = z.infer<typeof SecAggAnswerMessage>;

/** A message as it goes on the wire: its small binary fields as base64 text (see WIRE_TEXT_BYTES). */
export function toWire<T>(message: T): T {
  if (message instanceof Uint8Array) return (message.byteLength <= WIRE_TEXT_BYTES ? toBase64(message) : message) as T;
  if (Array.isArray(message)) return message.map(toWire) as T;
  if (message && typeof message === 'object') return Object.fromEntries(Object.entries(message).map(([k, v]) => [k, toWire(v)])) as T;
  return message;
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
