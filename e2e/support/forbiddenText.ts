/**
 * Text a person must never read on the device page or the dashboard: values leaking from code
 * (undefined, NaN, null, sentinel indices), programmers' messages (zod's, tfjs's, stack-trace
 * prefixes) and raw internal ids. Each entry says why, so a failure explains itself.
 */
export const FORBIDDEN_TEXT: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /shard -\d/, why: 'a sentinel shard index (say "with its own data")' },
  { pattern: /\bundefined\b/, why: 'a missing value printed as code' },
  { pattern: /\bNaN\b/, why: 'a number that is not one' },
  { pattern: /\bnull\b/, why: 'a missing value printed as code' },
  { pattern: /\bInfinity\b/, why: 'an unbounded number printed as code' },
  { pattern: /\[object Object\]/, why: 'an object printed without words' },
  { pattern: /setBackend/, why: "tfjs's function name instead of what failed" },
  { pattern: /Too (small|big):/, why: "zod's own message" },
  { pattern: /expected (string|number|int|boolean|array|object)\b/, why: "zod's own message" },
  { pattern: /Invalid (input|option)/, why: "zod's own message" },
  { pattern: />=|<=/, why: 'a comparison operator instead of words' },
  { pattern: /\b(waiting-for-round|downloading-data)\b/, why: 'a device state\'s code name (say "Waiting for a round")' },
  { pattern: /\b0 of 0\b/, why: 'a count that counts nothing' },
  { pattern: /\b[A-Za-z]*Error:/, why: 'a stack-trace prefix instead of what happened' },
  { pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i, why: 'a raw UUID' },
  // A tab's device id is 32 hex digits; the dashboard shows its first characters as the device's name.
  { pattern: /\b[0-9a-f]{32}\b/, why: 'a whole raw device id' },
];

export interface ForbiddenHit {
  where: string;
  why: string;
  excerpt: string;
}

/** Every forbidden entry in `text`, with 40 characters either side so the report shows where it is. */
export function forbiddenIn(where: string, text: string): ForbiddenHit[] {
  const hits: ForbiddenHit[] = [];
  for (const { pattern, why } of FORBIDDEN_TEXT) {
    const match = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    for (const m of text.matchAll(match)) {
      const from = Math.max(0, m.index - 40);
      hits.push({ where, why, excerpt: text.slice(from, m.index + m[0].length + 40).replace(/\s+/g, ' ') });
    }
  }
  return hits;
}
