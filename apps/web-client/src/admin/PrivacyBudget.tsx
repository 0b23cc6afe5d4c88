import type { FederationConfig, RoundRecord } from '@flock/fl-core/protocol';
import { privacyGuarantee } from '@flock/fl-core/strategy';

/** The federation's differential privacy: its settings and the epsilon spent after every round. */
export function PrivacyBudget({ config, rounds }: { config: FederationConfig | null; rounds: RoundRecord[] }) {
  const privacy = config?.privacy;
  if (!privacy) return null;
  const spent = rounds.filter((r) => r.epsilon !== null && r.epsilon !== undefined);
  const latest = spent.at(-1)?.epsilon ?? null;
  const target = privacy.targetEpsilon;
  return (
    <section className="card" data-testid="privacy-budget">
      <h2>Differential privacy</h2>
      <p>{privacyGuarantee(privacy, latest)}</p>
      <dl className="facts">
        <dt>mode</dt>
        <dd>{privacy.mode === 'central' ? 'central (the coordinator adds the noise)' : 'local (each device adds the noise)'}</dd>
        <dt>clip norm C, noise z</dt>
        <dd>
          {privacy.clipNorm}, {privacy.noiseMultiplier} (noise std {privacy.clipNorm * privacy.noiseMultiplier})
        </dd>
        <dt>δ</dt>
        <dd>{privacy.delta}</dd>
        <dt>target ε</dt>
        <dd>{target === undefined ? 'none' : `${target} (then ${privacy.onTarget === 'stop' ? 'stop' : 'warn'})`}</dd>
      </dl>
      {spent.length > 0 && (
        <table className="rounds" data-testid="epsilon-per-round">
          <thead>
            <tr>
              <th>round</th>
              <th>ε</th>
            </tr>
          </thead>
          <tbody>
            {spent.map((r) => (
              <tr key={r.round} data-round={r.round}>
                <td>{r.round}</td>
                <td className={target !== undefined && r.epsilon! >= target ? 'warn' : undefined}>{r.epsilon!.toFixed(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
