/** Kept apart from the zoo so that the protocol (and the page that speaks it) does not load tfjs. */
export const MODEL_NAMES = ['mnist-mlp', 'mnist-cnn', 'mnist-cnn-small', 'tabular-mlp'] as const;
export type ZooModelName = (typeof MODEL_NAMES)[number];
