// `npm run bench -- startup [--mode compiled|sources|both]`: how long the demo coordinator takes from launch to a
// healthy /api/health, and its idle memory 10 s later, on a fresh data directory and again on restart.
// 'compiled' is `npm start` (node scripts/start.mjs: one process running the esbuild bundle); 'sources' runs
// main.ts through tsx as `npm start` did before it was compiled. One JSON line per mode and phase.
import { readFileSync } from 'node:fs';
import { childProcesses, CoordinatorProcess } from '../src/testing/coordinatorProcess.ts';

const IDLE_SETTLE_MS = 10_000;
const modeArg = process.argv.indexOf('--mode');
const chosen = modeArg > 0 ? process.argv[modeArg + 1] : 'both';
const modes = chosen === 'both' ? (['sources', 'compiled'] as const) : ([chosen] as ('sources' | 'compiled')[]);
if (!modes.every((mode) => mode === 'sources' || mode === 'compiled')) {
  console.error('usage: npm run bench -- startup [--mode compiled|sources|both]');
  process.exit(2);
}

/** Resident memory of `pid` and every process below it, and how many there are. */
function treeMemory(pid: number): { rssMB: number; processes: number } {
  let kB = 0;
  let processes = 0;
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${next}/status`, 'utf8'));
    kB += Number(rss?.[1] ?? 0);
    processes++;
    pending.push(...childProcesses(next));
  }
  return { rssMB: Math.round(kB / 1024), processes };
}

for (const mode of modes) {
  const coordinator = await CoordinatorProcess.create({ run: mode });
  try {
    for (const phase of ['fresh', 'restart']) {
      const started = performance.now();
      await coordinator.start();
      const msToHealthy = Math.round(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
      const { rssMB, processes } = treeMemory(coordinator.pid);
      console.log(JSON.stringify({ bench: 'startup', mode, phase, msToHealthy, idleRssMB: rssMB, processes }));
      const stopping = performance.now();
      await coordinator.kill('SIGTERM');
      console.log(JSON.stringify({ bench: 'startup', mode, phase, msToExitOnSigterm: Math.round(performance.now() - stopping) }));
    }
  } finally {
    await coordinator.stop();
  }
}
