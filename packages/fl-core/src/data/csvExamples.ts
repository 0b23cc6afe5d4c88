import Papa from 'papaparse';
import type { CsvSchema } from '../config/datasetConfig.ts';
import type { ImageDataset } from './dataset.ts';

/** Problems listed per refused file; the count says how many there were in all. */
export const MAX_LISTED_PROBLEMS = 10;

export type ImportResult = { ok: true; data: ImageDataset } | { ok: false; problems: string[]; total: number };

/**
 * A CSV file's examples checked against the federation's schema: a header naming every feature
 * column and the label column (other columns are ignored), a number in every feature cell, a label
 * that is one of the schema's classes. Rows are numbered as a spreadsheet shows them (the header is
 * row 1). Refused files get their problems in row order, the first bad row first.
 */
export function parseCsvExamples(text: string, schema: CsvSchema): ImportResult {
  const { data: rows } = Papa.parse<string[]>(text, { header: false, skipEmptyLines: false });
  const header = (rows[0] ?? []).map((h) => h.trim());
  const missing = [...schema.features, schema.label].filter((c) => !header.includes(c));
  if (missing.length > 0) {
    const names = missing.map((c) => `"${c}"`).join(', ');
    return refused([`the header row has no column ${names} (the federation needs ${[...schema.features, schema.label].join(', ')})`]);
  }
  const featureColumns = schema.features.map((f) => header.indexOf(f));
  const labelColumn = header.indexOf(schema.label);
  const problems: string[] = [];
  const labels: number[] = [];
  const features: number[] = [];
  rows.slice(1).forEach((cells, i) => {
    const row = i + 2;
    if (cells.length === 1 && cells[0]!.trim() === '') return; // a blank line
    if (cells.length !== header.length) {
      problems.push(`row ${row}: ${cells.length} values, the header has ${header.length} columns`);
      return;
    }
    const rowProblems: string[] = [];
    const values = featureColumns.map((col, f) => {
      const cell = cells[col]!.trim();
      const value = Number(cell);
      if (cell === '') rowProblems.push(`row ${row}: column ${schema.features[f]} is empty`);
      else if (!Number.isFinite(value)) rowProblems.push(`row ${row}: column ${schema.features[f]} is "${cell}", not a number`);
      return value;
    });
    const label = cells[labelColumn]!.trim();
    const classIndex = schema.classes.indexOf(label);
    if (classIndex < 0) rowProblems.push(`row ${row}: label "${label}" is not one of ${schema.classes.join(', ')}`);
    if (rowProblems.length > 0) {
      problems.push(...rowProblems);
      return;
    }
    labels.push(classIndex);
    features.push(...values);
  });
  if (problems.length > 0) return refused(problems);
  if (labels.length === 0) return refused(['the file holds no examples, only a header']);
  return {
    ok: true,
    data: {
      count: labels.length,
      height: 1,
      width: schema.features.length,
      channels: 1,
      numClasses: schema.classes.length,
      labels: Uint8Array.from(labels),
      pixels: new Uint8Array(0),
      features: Float32Array.from(features),
    },
  };
}

export function refused(problems: string[]): ImportResult {
  return { ok: false, problems: problems.slice(0, MAX_LISTED_PROBLEMS), total: problems.length };
}

/** One line for a refused import: the first problems, and how many more there were. */
export function describeProblems(result: Extract<ImportResult, { ok: false }>): string {
  const more = result.total - result.problems.length;
  return result.problems.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
