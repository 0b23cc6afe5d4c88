import { z } from 'zod';
import { boundedNumber, type Bounds } from '../protocol/boundedNumber.ts';

/** Class names, in label order (label i is classes[i]). */
const Classes = z
  .array(z.string().trim().min(1).max(100))
  .min(2)
  .max(255)
  .refine((classes) => new Set(classes).size === classes.length, { message: 'class names must be unique' });
const ColumnName = z.string().trim().min(1).max(200);

const IMAGE_SIDE: Bounds = { min: 1, max: 512, integer: true, why: 'pixels' };
/** Seeds feed 32-bit generators: a larger one would only repeat a smaller one's draws. */
export const SEED_BOUNDS: Bounds = { min: 0, max: 4_294_967_295, integer: true, why: 'a 32-bit seed' };

/** Images from a folder with one subfolder per class; each is resized to width x height on import. */
export const ImageSchema = z.object({
  type: z.literal('image'),
  width: boundedNumber(IMAGE_SIDE),
  height: boundedNumber(IMAGE_SIDE),
  channels: z.union([z.literal(1), z.literal(3)]),
  classes: Classes,
});
export type ImageSchema = z.infer<typeof ImageSchema>;

/** A CSV file with a header: one numeric column per feature and a label column holding a class name. */
export const CsvSchema = z
  .object({
    type: z.literal('csv'),
    features: z.array(ColumnName).min(1).max(10_000),
    label: ColumnName,
    classes: Classes,
  })
  .refine((s) => new Set(s.features).size === s.features.length, { message: 'feature column names must be unique' })
  .refine((s) => !s.features.includes(s.label), { message: 'the label column cannot also be a feature' });
export type CsvSchema = z.infer<typeof CsvSchema>;

/** What a device's own examples must look like: checked when a person imports them. */
export const DataSchema = z.discriminatedUnion('type', [ImageSchema, CsvSchema]);
export type DataSchema = z.infer<typeof DataSchema>;

/**
 * A demo dataset the coordinator holds and cuts into shards: the pool of `numDevices x
 * examplesPerDevice` training examples (a seeded draw) is split by `partition`: `iid` equal random
 * parts, `shards` the FedAvg paper's 2 label-sorted shards per device, `dirichlet` label proportions
 * drawn from Dirichlet(`alpha`) per class.
 */
export const DemoDatasetConfig = z.object({
  /** MNIST digits or Fashion-MNIST clothes: both 28x28x1, 10 classes. */
  kind: z.enum(['mnist', 'fashion-mnist']),
  partition: z.enum(['iid', 'shards', 'dirichlet']),
  // Below 0.01 the gamma draws behind Dirichlet (U^(1/alpha)) underflow to 0 and the split divides by 0; at 0.01 a class already goes to about one device.
  alpha: boundedNumber({ min: 0.01, max: 1_000 }).optional(),
  examplesPerDevice: boundedNumber({ min: 10, max: 60_000, integer: true, why: 'the training set holds 60,000 examples' }),
  /** K virtual devices: a fixed partition of K parts. Default: as many parts as the training set holds. */
  numDevices: boundedNumber({ min: 1, max: 60_000, integer: true, why: 'at least one of the 60,000 training examples each' }).optional(),
  seed: boundedNumber(SEED_BOUNDS),
});

/**
 * Each device brings its own examples (imported into the tab, or a silo's file) that match `schema`;
 * the coordinator assigns no shard and has no test data. Each device holds out `testFraction` of its
 * examples to evaluate the global model on (federated evaluation).
 */
export const DeviceDataset = z.object({
  kind: z.literal('device'),
  schema: DataSchema,
  testFraction: boundedNumber({ min: 0, max: 0.9, why: 'the share of its examples a device holds out; it keeps at least 10% to train on' }).default(0.2),
});
export type DeviceDataset = z.infer<typeof DeviceDataset>;

export const DatasetConfig = z.discriminatedUnion('kind', [DemoDatasetConfig, DeviceDataset]);
export type DatasetConfig = z.infer<typeof DatasetConfig>;
/** A dataset the coordinator holds and assigns shards of. */
export type DemoDataset = Exclude<DatasetConfig, { kind: 'device' }>;

/** MNIST's and Fashion-MNIST's training split; devices' shards are cut from it. */
export const MNIST_TRAIN_EXAMPLES = 60_000;

/** K, the number of shards (virtual devices) a demo dataset's partition has. */
export function deviceCount(dataset: DemoDataset): number {
  return dataset.numDevices ?? Math.floor(MNIST_TRAIN_EXAMPLES / dataset.examplesPerDevice);
}

/** Why a demo dataset cannot be partitioned, or null when it can. */
export function datasetProblem(dataset: DemoDataset): string | null {
  const pool = deviceCount(dataset) * dataset.examplesPerDevice;
  if (pool > MNIST_TRAIN_EXAMPLES) {
    return `numDevices x examplesPerDevice = ${pool} exceeds the ${MNIST_TRAIN_EXAMPLES} MNIST training examples`;
  }
  if (dataset.alpha !== undefined && dataset.partition !== 'dirichlet') return 'alpha applies only to the dirichlet partition';
  return null;
}

/** The demo dataset the coordinator partitions, or null when devices bring their own data. */
export function demoDataset(dataset: DatasetConfig): DemoDataset | null {
  return dataset.kind === 'device' ? null : dataset;
}

/** What a model must take and give for a dataset: tabular rows are 1 x features x 1 "images". */
export interface DataShape {
  inputShape: [number, number, number];
  numClasses: number;
}

export const MNIST_SHAPE: DataShape = { inputShape: [28, 28, 1], numClasses: 10 };

export function datasetShape(dataset: DatasetConfig): DataShape {
  switch (dataset.kind) {
    case 'mnist':
    case 'fashion-mnist':
      return MNIST_SHAPE;
    case 'device':
      return schemaShape(dataset.schema);
    default: {
      const unknown: never = dataset;
      throw new Error(`unknown dataset ${JSON.stringify(unknown)}`);
    }
  }
}

export function schemaShape(schema: DataSchema): DataShape {
  return schema.type === 'image'
    ? { inputShape: [schema.height, schema.width, schema.channels], numClasses: schema.classes.length }
    : { inputShape: [1, schema.features.length, 1], numClasses: schema.classes.length };
}

/** One line for the event log and the dashboard. */
export function describeDataset(dataset: DatasetConfig): string {
  if (dataset.kind !== 'device') return `${dataset.kind}, ${dataset.partition} partition`;
  const { schema } = dataset;
  const what = schema.type === 'image' ? `${schema.width}x${schema.height}x${schema.channels} images` : `CSV with ${schema.features.length} features`;
  return `device data: ${what}, ${schema.classes.length} classes`;
}

const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** What label i means, for showing predictions. */
export function classNames(dataset: DatasetConfig): string[] {
  switch (dataset.kind) {
    case 'mnist':
      return Array.from({ length: 10 }, (_, i) => String(i));
    case 'fashion-mnist':
      return FASHION_MNIST_CLASSES;
    case 'device':
      return dataset.schema.classes;
    default: {
      const unknown: never = dataset;
      throw new Error(`unknown dataset ${JSON.stringify(unknown)}`);
    }
  }
}
