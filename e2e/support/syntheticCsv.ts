import { createRng } from '@flock/fl-core/data';

/** Three classes of a separable synthetic CSV (f1..f4, species): class c has feature f(c+1) near 1, the others near 0; f4 is noise. */
export const CSV_CLASSES = ['red', 'green', 'blue'];

export function syntheticCsv(rows: number, seed: number): string {
  const rng = createRng(seed);
  const noise = () => (rng() - 0.5) * 0.2;
  const lines = ['f1,f2,f3,f4,species'];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    const features = [0, 1, 2].map((f) => (f === c ? 1 : 0) + noise());
    lines.push([...features, noise()].map((v) => v.toFixed(3)).join(',') + `,${CSV_CLASSES[c]}`);
  }
  return lines.join('\n');
}

export function csvFile(name: string, text: string) {
  return { name, mimeType: 'text/csv', buffer: Buffer.from(text) };
}
