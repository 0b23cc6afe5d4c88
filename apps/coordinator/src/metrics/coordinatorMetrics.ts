import type { EventLogEntry, RoundRecord } from '@flock/fl-core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { rejectionLabel } from './rejectionReason.ts';

/** What the metrics read from the live federations when scraped. */
export interface MetricsSource {
  connectedDevices(): Iterable<[federationId: string, connected: number]>;
  /** The record of a round that just closed. */
  roundRecord(federationId: string, round: number): RoundRecord | undefined;
}

/** The event log message of a closed round starts "round N closed". */
const ROUND_CLOSED = /^round (\d+) closed/;

/**
 * Prometheus metrics of one coordinator, on their own registry (several coordinators may share a
 * process in tests). Counters follow the event log: every closed round and every refused update
 * already passes through it, so nothing else needs a hook.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly roundsCompleted: Counter<'federation'>;
  private readonly roundDuration: Histogram<'federation'>;
  private readonly bytesUp: Counter<'federation'>;
  private readonly bytesDown: Counter<'federation'>;
  private readonly rejections: Counter<'federation' | 'reason'>;
  private readonly handlerFailures: Counter<'door'>;

  constructor(private readonly source: MetricsSource) {
    const registers = [this.registry];
    new Gauge({
      name: 'flock_devices_connected',
      help: 'Devices connected to the federation now',
      labelNames: ['federation'],
      registers,
      collect() {
        this.reset();
        for (const [federation, connected] of source.connectedDevices()) this.set({ federation }, connected);
      },
    });
    this.roundsCompleted = new Counter({ name: 'flock_rounds_completed_total', help: 'Rounds aggregated and stored', labelNames: ['federation'], registers });
    this.roundDuration = new Histogram({
      name: 'flock_round_duration_seconds',
      help: 'From sending the model to closing the round',
      labelNames: ['federation'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.bytesUp = new Counter({
      name: 'flock_bytes_up_total',
      help: 'Update bytes received from devices in completed rounds',
      labelNames: ['federation'],
      registers,
    });
    this.bytesDown = new Counter({
      name: 'flock_bytes_down_total',
      help: 'Model bytes sent to devices in completed rounds',
      labelNames: ['federation'],
      registers,
    });
    this.rejections = new Counter({
      name: 'flock_update_rejections_total',
      help: 'Updates refused, by reason (schema, stale, not-selected, too-large, codec, non-finite, ...)',
      labelNames: ['federation', 'reason'],
      registers,
    });
    this.handlerFailures = new Counter({
      name: 'flock_handler_failures_total',
      help: 'Socket.IO events and REST routes whose handler threw and was answered with an error instead (door: the event or route)',
      labelNames: ['door'],
      registers,
    });
  }

  /** A handler threw: its error boundary answered the peer with a reason and counts it here. */
  handlerFailed(door: string): void {
    this.handlerFailures.inc({ door });
  }

  observe(entry: EventLogEntry): void {
    const federation = entry.federationId;
    if (federation === null) return;
    if (entry.kind === 'update-rejected') {
      this.rejections.inc({ federation, reason: rejectionLabel(entry.message.replace(/^update for round \d+ rejected: /, '')) });
      return;
    }
    if (entry.kind !== 'round-closed') return;
    const round = ROUND_CLOSED.exec(entry.message);
    const record = round ? this.source.roundRecord(federation, Number(round[1])) : undefined;
    if (!record) return;
    this.roundsCompleted.inc({ federation });
    this.roundDuration.observe({ federation }, record.durationMs / 1000);
    this.bytesUp.inc({ federation }, record.bytesUp);
    this.bytesDown.inc({ federation }, record.bytesDown);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
