import { CodecError } from '../codec/codecError.ts';
import type { DataShape } from '../config/datasetConfig.ts';

/** A labelled image dataset held as raw bytes (pixels 0..255), as stored on a device. */
export interface ImageDataset {
  count: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  labels: Uint8Array;
  pixels: Uint8Array;
  /**
   * Tabular rows (CSV) as floats, count x height x width x channels, taken as they are; pixels is
   * then empty. Absent for images.
   */
  features?: Float32Array;
}

/** The shape a model needs for this data. */
export function dataShapeOf(d: Pick<ImageDataset, 'height' | 'width' | 'channels' | 'numClasses'>): DataShape {
  return { inputShape: [d.height, d.width, d.channels], numClasses: d.numClasses };
}

export function exampleSize(d: Pick<ImageDataset, 'height' | 'width' | 'channels'>): number {
  return d.height * d.width * d.channels;
}

/** The examples at `indices`, copied into a new dataset. */
export function subset(d: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = exampleSize(d);
  const labels = new Uint8Array(indices.length);
  const pixels = new Uint8Array(d.features ? 0 : indices.length * size);
  const features = d.features ? new Float32Array(indices.length * size) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]!;
    labels[i] = d.labels[src]!;
    if (features) features.set(d.features!.subarray(src * size, (src + 1) * size), i * size);
    else pixels.set(d.pixels.subarray(src * size, (src + 1) * size), i * size);
  }
  return { ...d, count: indices.length, labels, pixels, ...(features ? { features } : {}) };
}

/**
 * Binary shard format (what a device downloads once and keeps):
 *   "FLKD", u8 version=1, u8 channels, u8 numClasses, u8 reserved, u32 count, u16 height, u16 width,
 *   labels (count bytes), pixels (count*height*width*channels bytes).
 */
const MAGIC = [0x46, 0x4c, 0x4b, 0x44];
const HEADER = 16;

export function encodeDataset(d: ImageDataset): Uint8Array {
  const out = new Uint8Array(HEADER + d.labels.length + d.pixels.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = 1;
  out[5] = d.channels;
  out[6] = d.numClasses;
  view.setUint32(8, d.count, true);
  view.setUint16(12, d.height, true);
  view.setUint16(14, d.width, true);
  out.set(d.labels, HEADER);
  out.set(d.pixels, HEADER + d.labels.length);
  return out;
}

export function decodeDataset(bytes: Uint8Array): ImageDataset {
  if (bytes.byteLength < HEADER || MAGIC.some((m, i) => bytes[i] !== m)) throw new CodecError('not a Flock dataset (bad magic)');
  if (bytes[4] !== 1) throw new CodecError(`dataset format version ${bytes[4]} is not supported`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8, true);
  const height = view.getUint16(12, true);
  const width = view.getUint16(14, true);
  const channels = bytes[5]!;
  const numClasses = bytes[6]!;
  const size = height * width * channels;
  if (bytes.byteLength !== HEADER + count + count * size) throw new CodecError('dataset length does not match its header');
  const labels = bytes.slice(HEADER, HEADER + count);
  if (labels.some((l) => l >= numClasses)) throw new CodecError('dataset holds a label outside its classes');
  return { count, height, width, channels, numClasses, labels, pixels: bytes.slice(HEADER + count) };
}
