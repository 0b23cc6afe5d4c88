/** Parses the IDX files MNIST ships in (big-endian header, then unsigned bytes). */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

export function parseIdxImages(bytes: Uint8Array): IdxImages {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 16 || view.getUint32(0) !== IMAGES_MAGIC) throw new Error('not an IDX image file (bad magic)');
  const count = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  const expected = 16 + count * rows * cols;
  if (bytes.byteLength !== expected) throw new Error(`IDX image file has ${bytes.byteLength} bytes, header says ${expected}`);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

export function parseIdxLabels(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0) !== LABELS_MAGIC) throw new Error('not an IDX label file (bad magic)');
  const count = view.getUint32(4);
  if (bytes.byteLength !== 8 + count) throw new Error(`IDX label file has ${bytes.byteLength} bytes, header says ${8 + count}`);
  return bytes.subarray(8);
}
