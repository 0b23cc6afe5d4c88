import type { RoundRecord } from '@flock/fl-core';

/** Every field of a round record, in the order the CSV's header names them. */
export const ROUND_COLUMNS = [
  'round',
  'participants',
  'examples',
  'accuracy',
  'loss',
  'trainLoss',
  'trainAccuracy',
  'durationMs',
  'bytesUp',
  'bytesDown',
  'abandonedBytesUp',
  'abandonedBytesDown',
  'rejected',
  'completedAt',
  'closedBy',
  'deadlineMs',
  'extended',
  'meanStaleness',
] as const satisfies readonly (keyof RoundRecord)[];

function cell(value: RoundRecord[keyof RoundRecord]): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV with a header row; a missing value (not evaluated, not recorded, recorded only since a later version) is an empty cell. */
export function roundsCsv(rounds: readonly RoundRecord[]): string {
  const lines = [ROUND_COLUMNS.join(',')];
  for (const r of rounds) lines.push(ROUND_COLUMNS.map((c) => cell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
