/** Calls per second of `run`: once to warm up, then as many calls as fit in `seconds` (at least one). */
export function callsPerSecond(seconds: number, run: () => unknown): number {
  run();
  const start = performance.now();
  let calls = 0;
  while (performance.now() - start < seconds * 1000 || calls === 0) {
    run();
    calls++;
  }
  return calls / ((performance.now() - start) / 1000);
}
