/** A federation config as the oldest stored ones look (no codec, demo MNIST dataset): protocol tests parse it. */
export const MINIMAL_CONFIG = {
  id: 'demo',
  name: 'Demo',
  model: 'mnist-mlp',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 600, seed: 1 },
  training: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  maxRounds: 10,
  minDevices: 1,
  clientsPerRound: 'all',
  quorum: 0.5,
  evalExamples: 1000,
  modelSeed: 1,
};
