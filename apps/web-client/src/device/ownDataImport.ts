import { classOfFile, concatDatasets, imageSizeProblem, imagesToDataset, parseCsvExamples, refused, toChannels, type ImportResult } from '@flock/fl-core/data';
import type { DataSchema, ImageSchema } from '@flock/fl-core/config';
import { examplesDataset, storedExamples, type DeviceStore } from '../storage/deviceStore.ts';

/**
 * Checks picked files against the federation's schema and, when every one passes, adds their
 * examples to what the device holds for it (examples checked against another schema are replaced).
 * Nothing leaves the tab. Returns the refusal, or how many examples the device now holds.
 */
export async function importExamples(
  store: DeviceStore,
  federationId: string,
  schema: DataSchema,
  files: File[],
): Promise<{ ok: true; added: number; held: number } | Extract<ImportResult, { ok: false }>> {
  const result = schema.type === 'csv' ? await readCsvFiles(files, schema) : await readImageFolder(files, schema);
  if (!result.ok) return result;
  const schemaKey = JSON.stringify(schema);
  const existing = await store.ownExamples(federationId);
  const data = existing?.schema === schemaKey ? concatDatasets(examplesDataset(existing), result.data) : result.data;
  await store.putOwnExamples(storedExamples(federationId, schemaKey, data));
  return { ok: true, added: result.data.count, held: data.count };
}

async function readCsvFiles(files: File[], schema: Extract<DataSchema, { type: 'csv' }>): Promise<ImportResult> {
  const [file, ...rest] = files;
  if (!file || rest.length > 0) return refused(['pick one CSV file']);
  const result = parseCsvExamples(await file.text(), schema);
  return result.ok ? result : { ...result, problems: result.problems.map((p) => `${file.name}, ${p}`) };
}

/** Each image is decoded, refused if smaller than the schema, else scaled to it and turned into its channels. */
async function readImageFolder(files: File[], schema: ImageSchema): Promise<ImportResult> {
  const problems: string[] = [];
  const images: { label: number; pixels: Uint8Array }[] = [];
  const canvas = new OffscreenCanvas(schema.width, schema.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return refused(['this browser cannot decode images off screen (no OffscreenCanvas 2D context)']);
  for (const file of files) {
    const path = file.webkitRelativePath || file.name;
    if (path.split('/').some((part) => part.startsWith('.'))) continue; // .DS_Store and other hidden files
    const cls = classOfFile({ path }, schema);
    if (!cls.ok) {
      problems.push(cls.problem);
      continue;
    }
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      problems.push(`${path} could not be decoded as an image`);
      continue;
    }
    const sizeProblem = imageSizeProblem(path, bitmap.width, bitmap.height, schema);
    if (sizeProblem) problems.push(sizeProblem);
    else {
      context.clearRect(0, 0, schema.width, schema.height);
      context.drawImage(bitmap, 0, 0, schema.width, schema.height);
      images.push({ label: cls.label, pixels: toChannels(context.getImageData(0, 0, schema.width, schema.height).data, schema.channels) });
    }
    bitmap.close();
  }
  if (problems.length > 0) return refused(problems);
  if (images.length === 0) return refused(['the folder holds no images']);
  return { ok: true, data: imagesToDataset(images, schema) };
}
