import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../protocol/device.ts';
import { subtractStep } from './cpuKernels.ts';

/** SGD's momentum coefficient when a federation asks for `momentum`. */
export const MOMENTUM = 0.9;

/**
 * How one training step turns gradients into weight changes. The loop differentiates the loss times
 * `lossScale`: for SGD and momentum that is the learning rate, so the gradients already are the
 * steps; Adam normalises the gradients' scale away and takes the learning rate itself.
 */
export interface OptimizerStep {
  lossScale: number;
  apply(variables: tf.Variable[], grads: tf.NamedTensorMap): void;
  dispose(): void;
}

export function optimizerStep(config: TrainingConfig): OptimizerStep {
  const kind = config.optimizer ?? 'sgd';
  switch (kind) {
    case 'sgd':
      return {
        lossScale: config.learningRate,
        apply: (variables, grads) => {
          for (const v of variables) v.assign(subtractStep(v, grads[v.name]!));
        },
        dispose: () => {},
      };
    case 'momentum':
      return momentumStep(config.learningRate);
    case 'adam':
      return fromOptimizer(1, tf.train.adam(config.learningRate));
    default: {
      const unknown: never = kind;
      throw new Error(`unknown optimizer ${String(unknown)}`);
    }
  }
}

/** Written out: tfjs's MomentumOptimizer keeps a scalar its dispose() never frees, one per round. */
function momentumStep(learningRate: number): OptimizerStep {
  const velocities = new Map<string, tf.Variable>();
  return {
    lossScale: learningRate,
    apply: (variables, grads) => {
      for (const v of variables) {
        const g = grads[v.name]!;
        let velocity = velocities.get(v.name);
        if (!velocity) {
          velocity = tf.variable(tf.zerosLike(g), false);
          velocities.set(v.name, velocity);
        }
        velocity.assign(velocity.mul(MOMENTUM).add(g));
        v.assign(v.sub(velocity));
      }
    },
    dispose: () => {
      for (const velocity of velocities.values()) velocity.dispose();
      velocities.clear();
    },
  };
}

function fromOptimizer(lossScale: number, optimizer: tf.Optimizer): OptimizerStep {
  return {
    lossScale,
    apply: (variables, grads) => optimizer.applyGradients(Object.fromEntries(variables.map((v) => [v.name, grads[v.name]!]))),
    dispose: () => optimizer.dispose(),
  };
}
