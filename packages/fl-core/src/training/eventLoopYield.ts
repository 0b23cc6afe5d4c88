/**
 * Training runs on the thread that also keeps the device's socket: a 60,000-example epoch on tfjs's
 * cpu kernels is one chain of microtasks (its reads resolve at once) that held a silo's event loop
 * for about a minute, long enough for the coordinator's heartbeat to drop it. Long loops call
 * `pause()` between steps; it lets timers and sockets run once `everyMs` of work went by without a break.
 */
export class EventLoopYield {
  private last = performance.now();

  constructor(private readonly everyMs = 50) {}

  async pause(): Promise<void> {
    if (performance.now() - this.last < this.everyMs) return;
    await macrotask();
    this.last = performance.now();
  }
}

/** setImmediate where there is one (Node); a browser worker has setTimeout, clamped to 4 ms at most once per `everyMs`. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
