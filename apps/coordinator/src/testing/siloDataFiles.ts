import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnistDataDir } from '@flock/fl-core/node';

/** A silo's own files in a fresh directory: the first `examples` of MNIST's test split as an IDX pair (disjoint from every training shard). */
export async function writeSiloData(examples: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flock-silo-'));
  const images = await readFile(join(mnistDataDir(), 't10k-images-idx3-ubyte'));
  const labels = await readFile(join(mnistDataDir(), 't10k-labels-idx1-ubyte'));
  const imageOut = Buffer.from(images.subarray(0, 16 + examples * 784));
  imageOut.writeUInt32BE(examples, 4);
  const labelOut = Buffer.from(labels.subarray(0, 8 + examples));
  labelOut.writeUInt32BE(examples, 4);
  await writeFile(join(dir, 'silo-images-idx3-ubyte'), imageOut);
  await writeFile(join(dir, 'silo-labels-idx1-ubyte'), labelOut);
  return dir;
}
