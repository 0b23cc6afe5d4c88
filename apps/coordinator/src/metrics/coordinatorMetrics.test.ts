import type { EventLogEntry, RoundRecord } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { CoordinatorMetrics } from './coordinatorMetrics.ts';
import { rejectionLabel } from './rejectionReason.ts';

const RECORD: RoundRecord = {
  round: 2,
  participants: 3,
  examples: 1800,
  accuracy: 0.9,
  loss: 0.3,
  trainLoss: 0.4,
  trainAccuracy: 0.85,
  durationMs: 42_000,
  bytesUp: 600_000,
  bytesDown: 2_400_000,
  rejected: 1,
  completedAt: '2026-01-01T00:00:00.000Z',
  closedBy: 'all-answered',
  deadlineMs: 60_000,
  extended: false,
  meanStaleness: null,
};

function event(kind: string, message: string): EventLogEntry {
  return { at: '2026-01-01T00:00:00.000Z', federationId: 'f1', level: kind === 'update-rejected' ? 'warn' : 'info', kind, message, deviceId: null };
}

describe('CoordinatorMetrics', () => {
  it('counts closed rounds, their duration and bytes, refusals by reason, and reads connected devices when scraped', async () => {
    const metrics = new CoordinatorMetrics({
      connectedDevices: () => [
        ['f1', 3],
        ['f2', 0],
      ],
      roundRecord: (federationId, round) => (federationId === 'f1' && round === 2 ? RECORD : undefined),
    });
    metrics.observe(event('round-closed', 'round 2 closed with every selected device: 3 devices, 1800 examples, accuracy 90.0%'));
    metrics.observe(event('update-rejected', 'update for round 2 rejected: device dev-12345678 is not selected for round 2'));
    metrics.observe(event('update-rejected', 'update for round 1 rejected: update for round 1 but round 2 is running'));
    metrics.observe(event('update-rejected', 'update for round 2 rejected: payload value #3 (fc1/kernel) is NaN; the update would poison the model'));
    metrics.observe(event('update-accepted', 'update for round 2 accepted (600 examples)'));
    const text = await metrics.text();
    expect(text).toContain('flock_devices_connected{federation="f1"} 3');
    expect(text).toContain('flock_devices_connected{federation="f2"} 0');
    expect(text).toContain('flock_rounds_completed_total{federation="f1"} 1');
    expect(text).toContain('flock_round_duration_seconds_sum{federation="f1"} 42');
    expect(text).toContain('flock_round_duration_seconds_bucket{le="60",federation="f1"} 1');
    expect(text).toContain('flock_round_duration_seconds_bucket{le="30",federation="f1"} 0');
    expect(text).toContain('flock_bytes_up_total{federation="f1"} 600000');
    expect(text).toContain('flock_bytes_down_total{federation="f1"} 2400000');
    expect(text).toContain('flock_update_rejections_total{federation="f1",reason="not-selected"} 1');
    expect(text).toContain('flock_update_rejections_total{federation="f1",reason="stale"} 1');
    expect(text).toContain('flock_update_rejections_total{federation="f1",reason="non-finite"} 1');
  });

  it('reduces refusal reasons to a few labels', () => {
    expect(rejectionLabel('payload of 40000000 bytes exceeds the 800000-byte limit for this model')).toBe('too-large');
    expect(rejectionLabel('payload is encoded as float32; this federation takes int8 updates')).toBe('codec');
    expect(rejectionLabel('update for federation "a" sent to federation "b"')).toBe('wrong-federation');
    expect(rejectionLabel("numExamples must be an integer from 1 to 600 (the device's examples), got 9000")).toBe('examples');
    expect(rejectionLabel('update is malformed: payload: larger than 33554432 bytes')).toBe('schema');
    expect(rejectionLabel('something new')).toBe('other');
  });
});
