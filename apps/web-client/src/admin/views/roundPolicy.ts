import type { FederationConfig } from '@flock/fl-core/config';

export interface PolicyLine {
  /** Stable key, also the row's `data-policy` attribute. */
  key: 'deadline' | 'quorum' | 'below-quorum' | 'mode' | 'devices';
  label: string;
  value: string;
}

/** The federation's round policy in words, one line per setting, for the dashboard's panel. */
export function describeRoundPolicy(config: FederationConfig): PolicyLine[] {
  return [
    { key: 'deadline', label: 'Deadline', value: describeDeadline(config.deadline) },
    { key: 'quorum', label: 'Quorum', value: `${percent(config.quorum)} of the selected devices` },
    { key: 'below-quorum', label: 'Below quorum', value: describeBelowQuorum(config.belowQuorum) },
    { key: 'mode', label: 'Mode', value: describeMode(config.mode) },
    { key: 'devices', label: 'Devices', value: describeSelection(config) },
  ];
}

function describeDeadline(deadline: FederationConfig['deadline']): string {
  switch (deadline.mode) {
    case 'adaptive':
      return `adaptive: ${deadline.multiplier}× the slowest selected device's measured training time, within ${span(deadline.floorMs)}–${span(deadline.ceilingMs)}`;
    case 'fixed':
      return `fixed: ${span(deadline.ms)}`;
    default: {
      const unknown: never = deadline;
      return `unknown (${JSON.stringify(unknown)})`;
    }
  }
}

function describeBelowQuorum(policy: FederationConfig['belowQuorum']): string {
  switch (policy) {
    case 'extend-once':
      return 'extend-once: wait once more for as long again';
    case 'abandon':
      return 'abandon: drop the round and redo it';
    default: {
      const unknown: never = policy;
      return `unknown (${String(unknown)})`;
    }
  }
}

function describeMode(mode: FederationConfig['mode']): string {
  switch (mode.kind) {
    case 'sync':
      return 'sync: rounds of FedAvg, each waits for its selected devices';
    case 'async':
      return `async (FedBuff): aggregate every ${mode.bufferSize} update(s), refuse updates more than ${mode.maxStaleness} aggregation(s) stale`;
    default: {
      const unknown: never = mode;
      return `unknown (${JSON.stringify(unknown)})`;
    }
  }
}

function describeSelection(config: FederationConfig): string {
  const per = config.clientsPerRound;
  const selected =
    per === 'all' ? 'every connected device' : typeof per === 'number' ? `${per} device(s)` : `${percent(per.fraction)} of the connected devices`;
  return `${selected} per round, at least ${config.minDevices} connected`;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

/** 30000 → "30 s", 600000 → "10 min", 5400000 → "1.5 h". */
export function span(ms: number): string {
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  if (ms < 3_600_000) return `${trim(ms / 60_000)} min`;
  return `${trim(ms / 3_600_000)} h`;
}

function trim(value: number): string {
  return String(Math.round(value * 10) / 10);
}
