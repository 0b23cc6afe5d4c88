import type { AnsweredQuery } from '@flock/fl-core/device';

export interface AnsweredLine {
  key: string;
  title: string;
  at: string;
  whatLeaves: string;
  /** Every number that left, in full: the person can check it against what they were told. */
  numbers: string;
  count: number;
}

/** The queries this device answered, newest first, each with the exact numbers that left it. */
export function answeredLines(answered: readonly AnsweredQuery[]): AnsweredLine[] {
  return [...answered].reverse().map((a) => ({
    key: `${a.queryId}-${a.at}`,
    title: a.kind.replaceAll('-', ' '),
    at: a.at,
    whatLeaves: a.whatLeaves,
    numbers: a.numbers.map(String).join(', '),
    count: a.numbers.length,
  }));
}
