import type { StrategyDescription } from '@flock/fl-core/strategy';
import { getIn, type FederationDraft } from './federationDraft.ts';
import { NumberField } from './formFields.tsx';

type Path = readonly (string | number)[];

/** The chosen strategy's options, each field from its ParamSpec (left empty, the option's default applies). */
export function StrategyOptions({
  strategies,
  draft,
  onChange,
  problems,
}: {
  strategies: StrategyDescription[];
  draft: FederationDraft;
  onChange: (path: Path, value: unknown) => void;
  problems?: ReadonlyMap<string, string>;
}) {
  const chosen = strategies.find((s) => s.name === getIn(draft, ['strategy', 'name']));
  if (!chosen) return null;
  return (
    <>
      <p className="muted">{chosen.summary}</p>
      {chosen.params.map((p) => (
        <NumberField
          key={p.key}
          draft={draft}
          path={['strategy', 'options', p.key]}
          onChange={onChange}
          problems={problems}
          label={p.label}
          testId={`form-strategy-${p.key}`}
          step={p.integer ? 1 : undefined}
          optional
          hint={`${p.description} (default ${p.default})`}
        />
      ))}
    </>
  );
}
