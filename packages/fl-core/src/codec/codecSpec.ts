import { WEIGHTS_CODECS } from '../protocol/codecNames.ts';

/**
 * The codec byte of each codec a "FLKW" payload may carry, and how a federation's choice maps to one.
 * Free of tfjs and zod; the names themselves are the wire's (protocol/codecNames.ts).
 */
export type WeightsCodecName = (typeof WEIGHTS_CODECS)[number];

/** Values per int8 chunk when the encoder is not told otherwise: 4 bytes of scale per 256 values. */
export const DEFAULT_INT8_CHUNK = 256;
/** Share of the values top-k keeps when a federation names `topk` without a fraction. */
export const DEFAULT_TOPK_FRACTION = 0.01;

/** What the encoder needs to know: the codec and its parameters. */
export type WeightsCodec =
  | { name: 'float32' }
  | { name: 'float16' }
  /** Per chunk of `chunkSize` values: scale = max|x| / 127, values rounded to int8 (stochastically when given a random source). */
  | { name: 'int8'; chunkSize?: number }
  /** The `fraction` of values largest in magnitude, as (index, float16) pairs; the rest read as 0. */
  | { name: 'topk'; fraction: number };

export const FLOAT32: WeightsCodec = { name: 'float32' };

/** The codec byte of each codec in the payload header; never renumber (old payloads and clients). */
export function codecByte(name: WeightsCodecName): number {
  switch (name) {
    case 'float32':
      return 0;
    case 'float16':
      return 1;
    case 'int8':
      return 2;
    case 'topk':
      return 3;
    default: {
      const unknown: never = name;
      return unknown;
    }
  }
}

export function codecNameOfByte(byte: number): WeightsCodecName | null {
  return WEIGHTS_CODECS.find((name) => codecByte(name) === byte) ?? null;
}

/** The encoder's codec for what a round's message names (`{uplink, topkFraction}`); float32 when it names none. */
export function uplinkCodec(named: { uplink: WeightsCodecName; topkFraction?: number } | undefined): WeightsCodec {
  if (!named) return FLOAT32;
  switch (named.uplink) {
    case 'float32':
    case 'float16':
      return { name: named.uplink };
    case 'int8':
      return { name: 'int8', chunkSize: DEFAULT_INT8_CHUNK };
    case 'topk':
      return { name: 'topk', fraction: named.topkFraction ?? DEFAULT_TOPK_FRACTION };
    default: {
      const unknown: never = named.uplink;
      return unknown;
    }
  }
}

/** How many values top-k keeps out of `size`: at least one. */
export function topkCount(size: number, fraction: number): number {
  return Math.min(size, Math.max(1, Math.ceil(fraction * size)));
}
