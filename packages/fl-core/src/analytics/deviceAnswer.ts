import { exampleSize, subset, type ImageDataset } from '../data/dataset.ts';
import { secureRandom, shuffleInPlace } from '../data/random.ts';
import { answerLayout, columnCentre, columnSlots, frequentValueCount, quantileSlots } from './answerLayout.ts';
import type { AnalyticsQuery, QueryOf } from './query.ts';
import { countsLabels, examplesCap, type QueryContext } from './queryContext.ts';

/** A query a device answers from its examples alone (the confusion matrix needs the model's predictions: confusionAnswer). */
export type DataQuery = Exclude<AnalyticsQuery, { kind: 'confusion-matrix' }>;

/** The examples a device counts: all of them, or a random `cap` of them when it holds more (each device's weight is bounded). */
export function countedExamples(data: ImageDataset, cap: number, random: () => number = secureRandom()): ImageDataset {
  if (data.count <= cap) return data;
  const indices = Uint32Array.from({ length: data.count }, (_, i) => i);
  shuffleInPlace(indices, random);
  return subset(data, indices.subarray(0, cap).sort());
}

/**
 * One device's answer to a data query: counts and sums over its examples (at most the query's examplesPerDevice),
 * laid out as answerLayout says, so that the answers of many devices add up to the answer over all their examples.
 * No example value leaves in it, only these aggregates.
 */
export function deviceAnswer(query: DataQuery, context: QueryContext, data: ImageDataset, random: () => number = secureRandom()): Float64Array {
  checkClasses(context, data);
  const examples = countedExamples(data, examplesCap(query, context), random);
  const answer = new Float64Array(answerLayout(query, context).length);
  switch (query.kind) {
    case 'label-histogram':
      for (const label of examples.labels) answer[label]!++;
      return answer;
    case 'column-stats':
      return columnStats(query, context, examples, answer);
    case 'quantiles': {
      const read = columnReader(context, examples, query.column);
      for (let e = 0; e < examples.count; e++) answer[quantileSlot(query.edges, read(e))]!++;
      return answer;
    }
    case 'frequent-values':
      return frequentValues(query, context, examples, answer);
  }
}

/**
 * One device's answer to a confusion-matrix query: its counted examples' labels against the labels `predict` (the
 * global model, run by the device's trainer) gives them. Only the counts leave, never a prediction.
 */
export async function confusionMatrixAnswer(
  query: QueryOf<'confusion-matrix'>,
  context: QueryContext,
  data: ImageDataset,
  predict: (examples: ImageDataset) => Promise<ArrayLike<number>>,
  random: () => number = secureRandom(),
): Promise<Float64Array> {
  checkClasses(context, data);
  const examples = countedExamples(data, examplesCap(query, context), random);
  return confusionAnswer(await predict(examples), examples.labels, context.classes.length);
}

function checkClasses(context: QueryContext, data: ImageDataset): void {
  if (data.numClasses !== context.classes.length) {
    throw new RangeError(`this device's examples have ${data.numClasses} classes, the federation ${context.classes.length}: import them again`);
  }
}

/**
 * The confusion matrix of one device's examples, row-major (row: true label, column: predicted), from the
 * global model's predictions, which the caller computes.
 */
export function confusionAnswer(predicted: ArrayLike<number>, truth: ArrayLike<number>, numClasses: number): Float64Array {
  if (predicted.length !== truth.length) throw new RangeError(`${predicted.length} predictions for ${truth.length} labels`);
  const answer = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < truth.length; i++) {
    const [t, p] = [truth[i]!, predicted[i]!];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses))
      throw new RangeError(`example ${i}: label ${t} or prediction ${p} is not one of the ${numClasses} classes`);
    answer[t * numClasses + p]!++;
  }
  return answer;
}

/** The slot of x in a quantiles histogram: 0 below the first edge, i for [e(i-1), e(i)) (the last bin holds its upper edge), the last above. */
export function quantileSlot(edges: readonly number[], x: number): number {
  if (x < edges[0]!) return 0;
  const last = edges.length - 1;
  if (x > edges[last]!) return quantileSlots(edges) - 1;
  let [lo, hi] = [0, last - 1]; // the bin [edges[lo], edges[lo + 1]) holding x
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The slot of x in a column-stats histogram: 0 below low, 1..bins for the equal ranges (high falls in the last), bins + 1 above high. */
export function columnSlot(c: { low: number; high: number; bins: number }, x: number): number {
  if (x < c.low) return 0;
  if (x > c.high) return columnSlots(c) - 1;
  return 1 + Math.min(c.bins - 1, Math.floor(((x - c.low) / (c.high - c.low)) * c.bins));
}

function columnReader(context: QueryContext, data: ImageDataset, column: string): (example: number) => number {
  const features = data.features;
  if (!features || context.columns === null) throw new RangeError("this device's examples are images: they have no columns to read");
  const index = context.columns.indexOf(column);
  const size = exampleSize(data);
  if (index < 0 || size !== context.columns.length)
    throw new RangeError(`this device's rows have ${size} columns, the federation ${context.columns.length}: import them again`);
  return (example) => features[example * size + index]!;
}

/** [count, sum of (x - centre) per column, sum of (x - centre)^2 per column, each column's slots]; x clipped to [low, high] in the sums. */
function columnStats(query: QueryOf<'column-stats'>, context: QueryContext, data: ImageDataset, answer: Float64Array): Float64Array {
  const columns = query.columns.length;
  answer[0] = data.count;
  let slotStart = 1 + 2 * columns;
  query.columns.forEach((c, j) => {
    const read = columnReader(context, data, c.name);
    const centre = columnCentre(c);
    let [sum, squares] = [0, 0];
    for (let e = 0; e < data.count; e++) {
      const x = read(e);
      const offset = Math.min(c.high, Math.max(c.low, x)) - centre;
      sum += offset;
      squares += offset * offset;
      answer[slotStart + columnSlot(c, x)]!++;
    }
    answer[1 + j] = sum;
    answer[1 + columns + j] = squares;
    slotStart += columnSlots(c);
  });
  return answer;
}

/** [how many examples hold each value, then 1 or 0 per value: whether this device holds it at all]. */
function frequentValues(query: QueryOf<'frequent-values'>, context: QueryContext, data: ImageDataset, answer: Float64Array): Float64Array {
  const values = frequentValueCount(query, context);
  if (countsLabels(query, context)) {
    const slotOf = new Map<number, number>((query.values ?? context.classes).map((v, i) => [context.classes.indexOf(String(v)), i]));
    for (const label of data.labels) {
      const slot = slotOf.get(label);
      if (slot !== undefined) answer[slot]!++;
    }
  } else {
    // Rows hold float32: a listed code is compared as the float32 it would be stored as.
    const slotOf = new Map<number, number>(query.values!.map((v, i) => [Math.fround(Number(v)), i]));
    const read = columnReader(context, data, query.column!);
    for (let e = 0; e < data.count; e++) {
      const slot = slotOf.get(read(e));
      if (slot !== undefined) answer[slot]!++;
    }
  }
  for (let i = 0; i < values; i++) answer[values + i] = answer[i]! > 0 ? 1 : 0;
  return answer;
}
