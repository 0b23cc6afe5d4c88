import type { FederationConfig } from '@flock/fl-core/config';
import { Fragment } from 'react';
import { describeRoundPolicy } from './roundPolicy.ts';

/** How the federation's rounds wait and close: the config's deadline, quorum, mode and selection. */
export function RoundPolicy({ config }: { config: FederationConfig | null }) {
  if (!config)
    return (
      <p className="muted" data-testid="round-policy">
        —
      </p>
    );
  return (
    <dl className="facts" data-testid="round-policy">
      {describeRoundPolicy(config).map((line) => (
        <Fragment key={line.key}>
          <dt>{line.label}</dt>
          <dd data-policy={line.key}>{line.value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
