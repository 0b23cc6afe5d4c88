// Preloaded into the benchmark's coordinators (NODE_OPTIONS=--import): SIGUSR2 runs a full garbage
// collection and writes the process's memory usage to SCALEOUT_MEMORY_DIR/<pid>.json, so the
// benchmark compares live data, not garbage V8 has not collected yet (which made RSS per device
// swing by tens of KB between runs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8 hands the pages a collection freed back to the system from background threads, some hundreds of ms later. */
const SETTLE_MS = 500;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');
/** Set: each measurement also writes a heap snapshot there, to see what a device costs (the next figures are then skewed). */
const snapshots = process.env.SCALEOUT_HEAPSNAPSHOT_DIR;
let measurements = 0;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
process.on('SIGUSR2', async () => {
  // RSS read right after one collection still held the freed pages (tens of MB for a churned heap); a second
  // collection after they are released compacts what the first left behind.
  collectGarbage();
  await settle();
  collectGarbage();
  await settle();
  measurements++;
  if (snapshots) writeHeapSnapshot(join(snapshots, `${process.env.FLOCK_COORDINATOR_ID ?? process.pid}-${measurements}.heapsnapshot`));
  writeFileSync(join(process.env.SCALEOUT_MEMORY_DIR ?? '.', `${process.pid}.json`), JSON.stringify(process.memoryUsage()));
});
