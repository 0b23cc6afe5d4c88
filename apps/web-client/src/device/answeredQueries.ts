import type { AnsweredQuery } from '@flock/fl-core/device';

export interface AnsweredLine {
  key: string;
  title: string;
  at: string;
  whatLeaves: string;
  /** Every number that left, in full: the person can check it against what they were told (a confusion matrix: one line per true label). */
  numbers: string;
  count: number;
  /** They left masked, inside a secure sum: the coordinator saw only their total over many devices. */
  masked: boolean;
  /** How the numbers are laid out, when they form a table. */
  layout: string | null;
}

/** The queries this device answered, newest first, each with the exact numbers that left it. */
export function answeredLines(answered: readonly AnsweredQuery[]): AnsweredLine[] {
  return [...answered].reverse().map((a) => ({
    key: `${a.queryId}-${a.at}`,
    title: a.kind.replaceAll('-', ' '),
    at: a.at,
    whatLeaves: a.whatLeaves,
    ...numbersOf(a),
    count: a.numbers.length,
    masked: a.masked === true,
  }));
}

function numbersOf(a: AnsweredQuery): Pick<AnsweredLine, 'numbers' | 'layout'> {
  const side = Math.round(Math.sqrt(a.numbers.length));
  if (a.kind !== 'confusion-matrix' || side * side !== a.numbers.length) return { numbers: a.numbers.join(', '), layout: null };
  const rows = Array.from({ length: side }, (_, t) => a.numbers.slice(t * side, (t + 1) * side).join(', '));
  return { numbers: rows.join('\n'), layout: `a line per true label, a number per label the model predicted (${side} x ${side})` };
}
