// McMahan et al. 2017, Table 2: MNIST CNN, K=100, C=0.1, E=5, B=10, IID: 99% test accuracy in 20 rounds.
// Needs a GPU: devices train on WebGPU through Dawn when it finds an adapter (VK_ICD_FILENAMES: the README's Benchmarks section).
// `npm run bench -- fedavg-cnn [--budget-iid N] [--threads T] [--eval-backend webgpu] [--eval-examples N]`
import { benchFlags, runPaperSetting, type PaperSetting } from './fedavgPaper.ts';

const SETTING: PaperSetting = { name: 'iid', model: 'mnist-cnn', partition: 'iid', epochs: 5, batch: 10, lr: 0.05, target: 0.99, paperRounds: 20, budget: 60 };

await runPaperSetting('fedavg-cnn', SETTING, benchFlags([SETTING.name]));
