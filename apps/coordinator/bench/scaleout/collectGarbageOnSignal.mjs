// Preloaded into the benchmark's coordinators (NODE_OPTIONS=--import): SIGUSR2 runs a full garbage
// collection, so the resident memory the benchmark reads next is live data, not garbage V8 has not
// collected yet (which made RSS per device swing by tens of KB between runs).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');
process.on('SIGUSR2', () => collectGarbage());
