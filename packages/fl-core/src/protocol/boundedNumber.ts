import { z } from 'zod';

/** Where a number a config holds may lie, and why the bound exists (said when it is refused). */
export interface Bounds {
  min: number;
  max: number;
  integer?: boolean;
  /** The minimum itself is not allowed (a learning rate of 0). */
  exclusiveMin?: boolean;
  why?: string;
}

function shown(n: number): string {
  return Number.isInteger(n) && Math.abs(n) >= 10_000 ? n.toLocaleString('en-US') : String(n);
}

/** "a whole number from 1 to 10,000", "a number above 0 and at most 10". */
export function describeBounds(b: Bounds): string {
  const kind = b.integer ? 'a whole number' : 'a number';
  return b.exclusiveMin ? `${kind} above ${shown(b.min)} and at most ${shown(b.max)}` : `${kind} from ${shown(b.min)} to ${shown(b.max)}`;
}

function sent(input: unknown): string {
  if (input === undefined) return 'nothing';
  return typeof input === 'number' ? shown(input) : JSON.stringify(input);
}

/**
 * A number a config holds. Refused outside its bounds with the range, the value sent and why, in
 * one sentence; never zod's own words ("Too big: expected number to be <=100000").
 */
export function boundedNumber(b: Bounds): z.ZodNumber {
  const error = (issue: { input?: unknown }) => `expected ${describeBounds(b)}${b.why ? ` (${b.why})` : ''}, got ${sent(issue.input)}`;
  let n = z.number({ error });
  if (b.integer) n = n.int({ error, abort: true });
  n = b.exclusiveMin ? n.gt(b.min, { error, abort: true }) : n.gte(b.min, { error, abort: true });
  return n.lte(b.max, { error, abort: true });
}
