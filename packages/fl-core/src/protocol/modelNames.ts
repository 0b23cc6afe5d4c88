/** The zoo's model names, as the wire names them; the zoo (models/zoo.ts) builds them, and the protocol does not load tfjs. */
export const MODEL_NAMES = ['mnist-mlp', 'mnist-cnn', 'mnist-cnn-small', 'tabular-mlp'] as const;
export type ZooModelName = (typeof MODEL_NAMES)[number];
