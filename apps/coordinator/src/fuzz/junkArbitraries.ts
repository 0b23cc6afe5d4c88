import fc from 'fast-check';

/** Strings and arrays far past any field's limit (Socket.IO and the JSON parsers must refuse them with a reason, not a crash). */
const hugeString = fc.integer({ min: 10_000, max: 1_500_000 }).map((n) => 'A'.repeat(n));
const hugeArray = fc.integer({ min: 1_000, max: 100_000 }).map((n) => new Array<number>(n).fill(7));
const binary = fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b));

/** Any wrong value a field may be given: wrong types, NaN and the infinities, extremes, huge strings and arrays, bytes. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    0.5,
    NaN,
    Infinity,
    -Infinity,
    1e308,
    -1e308,
    2 ** 53 + 2,
    '',
    '\u0000',
    '%E0%A4%A',
    '__proto__',
    '🦆'.repeat(100),
  ),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 80 }),
  fc.anything({ maxDepth: 3, maxKeys: 6 }),
  hugeString,
  hugeArray,
  binary,
);

/**
 * A valid message made invalid one way: a field dropped, a field given junk, an extra field, or
 * the whole message replaced by junk. (An extra field or a dropped optional one may leave it valid:
 * callers judge replies by the message's schema, not by how it was made.)
 */
export function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k))),
    fc.tuple(fc.constantFrom(...keys), junk).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), junk).map(([k, v]) => ({ ...valid, [k]: v })),
    junk,
  );
}
