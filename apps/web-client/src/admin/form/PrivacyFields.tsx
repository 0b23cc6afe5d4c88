import { getIn } from './federationDraft.ts';
import { NumberField, SelectField, type DraftSectionProps } from './formFields.tsx';

const MODES = [
  { value: 'none', label: 'none' },
  { value: 'central', label: 'central (the coordinator adds the noise)' },
  { value: 'local', label: 'local (each device adds the noise)' },
  { value: 'distributed', label: 'distributed (each device adds a share of it; needs secure aggregation)' },
] as const;

/** The federation form's differential-privacy fields: off, or central/local DP with its parameters. */
export function PrivacyFields({ draft, onChange, problems }: DraftSectionProps) {
  const mode = getIn(draft, ['privacy', 'mode']);
  const field = { draft, onChange, problems };
  return (
    <>
      <SelectField
        draft={{ mode: mode ?? 'none' }}
        path={['mode']}
        label="Differential privacy"
        testId="form-privacy-mode"
        options={MODES}
        onChange={(_p, next) =>
          onChange(
            ['privacy'],
            next === 'none' ? undefined : { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, onTarget: 'stop', ...(getIn(draft, ['privacy']) ?? {}), mode: next },
          )
        }
      />
      {mode !== undefined && (
        <>
          <NumberField {...field} path={['privacy', 'clipNorm']} label="Clip norm C" testId="form-privacy-clip" hint="each update is clipped to this L2 norm" />
          <NumberField
            {...field}
            path={['privacy', 'noiseMultiplier']}
            label="Noise multiplier z"
            testId="form-privacy-noise"
            hint="Gaussian noise std z × C"
          />
          <NumberField {...field} path={['privacy', 'delta']} label="δ" testId="form-privacy-delta" hint="epsilon is reported at this delta" />
          <NumberField {...field} path={['privacy', 'targetEpsilon']} label="Target ε" testId="form-privacy-target" optional hint="empty: no target" />
          <SelectField {...field} path={['privacy', 'onTarget']} label="At the target" testId="form-privacy-on-target" options={['stop', 'warn'] as const} />
        </>
      )}
    </>
  );
}
