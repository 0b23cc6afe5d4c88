/**
 * Calls `reduce` with the sorted values of each coordinate across the deltas: the shared core of
 * the coordinate-wise median and trimmed mean.
 */
export function perCoordinate(deltas: readonly Float32Array[], reduce: (sorted: Float64Array) => number): Float32Array {
  const size = deltas[0]!.length;
  const out = new Float32Array(size);
  const column = new Float64Array(deltas.length);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < deltas.length; k++) column[k] = deltas[k]![i]!;
    column.sort();
    out[i] = reduce(column);
  }
  return out;
}
