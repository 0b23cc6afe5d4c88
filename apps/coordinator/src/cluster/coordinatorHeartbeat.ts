import type { Logger } from 'pino';
import type { CoordinatorRepository } from '../storage/store.ts';

/** How often a coordinator tells the store it is alive. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
/** A coordinator not heard from for this long may have stopped: five heartbeats missed. */
export const COORDINATOR_SILENCE_MS = 10_000;

export interface HeartbeatSource {
  id: string;
  url: string;
  startedAt: Date;
  /** Device sockets connected to this coordinator now. */
  devices: () => number;
}

/**
 * Tells the store every few seconds that this coordinator runs, so every coordinator sharing the
 * store can list the others (GET /api/coordinators). A failed write is logged and tried again at the
 * next beat: a database hiccup must not stop the coordinator.
 */
export class CoordinatorHeartbeat {
  private readonly timer: NodeJS.Timeout;
  /** The write under way; a beat due meanwhile is skipped, so a slow database never piles writes up. */
  private beating: Promise<void> | null = null;

  private constructor(
    private readonly store: CoordinatorRepository,
    private readonly source: HeartbeatSource,
    private readonly logger: Logger,
    intervalMs: number,
  ) {
    this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  /** Beats once at once (resolved when written, or its failure logged), then every `intervalMs`. */
  static async start(store: CoordinatorRepository, source: HeartbeatSource, logger: Logger, intervalMs = HEARTBEAT_INTERVAL_MS): Promise<CoordinatorHeartbeat> {
    const heartbeat = new CoordinatorHeartbeat(store, source, logger, intervalMs);
    await heartbeat.beating;
    return heartbeat;
  }

  /** Stops beating and takes this coordinator off the list: a clean shutdown, not a silence. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.store.remove(this.source.id).catch((err: unknown) => this.logger.warn({ err }, 'could not take this coordinator off the coordinators list'));
  }

  private tick(): void {
    this.beating ??= this.beat().finally(() => (this.beating = null));
  }

  private async beat(): Promise<void> {
    const { id, url, startedAt, devices } = this.source;
    try {
      await this.store.heartbeat({ id, url, startedAt, devices: devices() });
    } catch (err) {
      this.logger.error({ err }, 'heartbeat write failed: other coordinators may count this one as stopped until a later one succeeds');
    }
  }
}
