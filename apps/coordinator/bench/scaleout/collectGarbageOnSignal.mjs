// Preloaded into the benchmark's coordinators (NODE_OPTIONS=--import): SIGUSR2 runs a full garbage
// collection and writes the process's memory usage to SCALEOUT_MEMORY_DIR/<pid>.json, so the
// benchmark compares live data, not garbage V8 has not collected yet (which made RSS per device
// swing by tens of KB between runs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');
process.on('SIGUSR2', () => {
  collectGarbage();
  writeFileSync(join(process.env.SCALEOUT_MEMORY_DIR ?? '.', `${process.pid}.json`), JSON.stringify(process.memoryUsage()));
});
