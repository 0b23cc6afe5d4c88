import type { ImageSchema } from '../config/datasetConfig.ts';
import type { ImageDataset } from './dataset.ts';

const IMAGE_FILE = /\.(png|jpe?g|gif|bmp|webp)$/i;

/** A picked file: its path inside the chosen folder (`webkitRelativePath`, e.g. `pets/cat/photo.png`). */
export interface PickedFile {
  path: string;
}

/** The class a file belongs to (the name of the folder that holds it), or why it cannot be used. */
export function classOfFile(file: PickedFile, schema: ImageSchema): { ok: true; label: number } | { ok: false; problem: string } {
  const parts = file.path.split('/').filter((p) => p !== '');
  const name = parts.at(-1) ?? file.path;
  if (!IMAGE_FILE.test(name)) return { ok: false, problem: `${file.path} is not an image (png, jpg, gif, bmp or webp)` };
  const folder = parts.at(-2);
  if (!folder) return { ok: false, problem: `${file.path} is not in a class folder: pick a folder with one subfolder per class (${schema.classes.join(', ')})` };
  const label = schema.classes.indexOf(folder);
  if (label < 0) return { ok: false, problem: `${file.path}: folder "${folder}" is not one of ${schema.classes.join(', ')}` };
  return { ok: true, label };
}

/** Images are scaled down to the schema's size, never up: a smaller one would be mostly blur. */
export function imageSizeProblem(path: string, width: number, height: number, schema: ImageSchema): string | null {
  if (width >= schema.width && height >= schema.height) return null;
  return `${path} is ${width}x${height}, smaller than the ${schema.width}x${schema.height} this federation takes`;
}

/** RGBA pixels (as a canvas gives them) to the schema's channels: RGB, or luma for one channel. */
export function toChannels(rgba: Uint8ClampedArray | Uint8Array, channels: 1 | 3): Uint8Array {
  const n = rgba.length / 4;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
    if (channels === 1) out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else out.set([r, g, b], 3 * i);
  }
  return out;
}

/** Decoded images of one import as a dataset. */
export function imagesToDataset(images: { label: number; pixels: Uint8Array }[], schema: ImageSchema): ImageDataset {
  const size = schema.width * schema.height * schema.channels;
  const pixels = new Uint8Array(images.length * size);
  images.forEach((image, i) => pixels.set(image.pixels, i * size));
  return {
    count: images.length,
    height: schema.height,
    width: schema.width,
    channels: schema.channels,
    numClasses: schema.classes.length,
    labels: Uint8Array.from(images.map((image) => image.label)),
    pixels,
  };
}
