import { FederationConfig } from '@flock/fl-core/config';
import { MINIMAL_CONFIG } from '@flock/fl-core/testing';
import { describe, expect, it } from 'vitest';
import { describeRoundPolicy, span } from './roundPolicy.ts';

// Parsed, so the schema's defaults (adaptive deadline, extend-once, sync rounds) fill in what the config leaves out.
const base = FederationConfig.parse({ ...MINIMAL_CONFIG, id: 'policy', name: 'policy', minDevices: 2, clientsPerRound: { fraction: 0.1 }, evalExamples: 100 });

const valueOf = (config: FederationConfig, key: string) => describeRoundPolicy(config).find((l) => l.key === key)?.value;

describe('describeRoundPolicy', () => {
  it('spells out the defaults: adaptive deadline, extend once below quorum, sync rounds', () => {
    expect(valueOf(base, 'deadline')).toBe("adaptive: 3× the slowest selected device's measured training time, within 30 s–10 min");
    expect(valueOf(base, 'quorum')).toBe('50% of the selected devices');
    expect(valueOf(base, 'below-quorum')).toMatch(/^extend-once/);
    expect(valueOf(base, 'mode')).toMatch(/^sync/);
    expect(valueOf(base, 'devices')).toBe('10% of the connected devices per round, at least 2 connected');
  });

  it('shows a fixed deadline, abandon, and the async buffer and staleness bound', () => {
    const config: FederationConfig = {
      ...base,
      deadline: { mode: 'fixed', ms: 90_000 },
      belowQuorum: 'abandon',
      mode: { kind: 'async', bufferSize: 8, maxStaleness: 3 },
      clientsPerRound: 'all',
    };
    expect(valueOf(config, 'deadline')).toBe('fixed: 1.5 min');
    expect(valueOf(config, 'below-quorum')).toMatch(/^abandon/);
    expect(valueOf(config, 'mode')).toBe('async (FedBuff): aggregate every 8 update(s), refuse updates more than 3 aggregation(s) stale');
    expect(valueOf(config, 'devices')).toMatch(/^every connected device/);
  });

  it('formats spans in s, min and h', () => {
    expect([span(1_500), span(30_000), span(600_000), span(5_400_000)]).toEqual(['1.5 s', '30 s', '10 min', '1.5 h']);
  });
});
