// McMahan et al. 2017, Table 1: MNIST 2NN, K=100, C=0.1, E=1, B=10. The paper reaches 97% test
// accuracy in 87 rounds IID and 664 rounds with the pathological non-IID shards (2 labels per device).
// `npm run bench -- fedavg-2nn [--only iid|shards] [--budget-iid N] [--budget-shards N] [--threads T] [--eval-backend webgpu]`
import { benchFlags, runPaperSetting, type PaperSetting } from './fedavgPaper.ts';

const SETTINGS: PaperSetting[] = [
  { name: 'iid', model: 'mnist-mlp', partition: 'iid', epochs: 1, batch: 10, lr: 0.1, target: 0.97, paperRounds: 87, budget: 300 },
  { name: 'shards', model: 'mnist-mlp', partition: 'shards', epochs: 1, batch: 10, lr: 0.1, target: 0.97, paperRounds: 664, budget: 200 },
];

const flags = benchFlags(SETTINGS.map((s) => s.name));
for (const setting of SETTINGS.filter((s) => !flags.only || s.name === flags.only)) await runPaperSetting('fedavg-2nn', setting, flags);
