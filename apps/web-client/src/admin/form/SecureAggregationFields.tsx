import { getIn } from './federationDraft.ts';
import { NumberField, SelectField, type DraftSectionProps } from './formFields.tsx';

const CHOICES = [
  { value: 'off', label: 'off (the coordinator sees each update)' },
  { value: 'on', label: 'on (the coordinator sees only the sum of each round)' },
] as const;

/** The federation form's secure aggregation: off, or on with its group size, threshold and clip (empty: derived). */
export function SecureAggregationFields({ draft, onChange, problems }: DraftSectionProps) {
  const on = getIn(draft, ['secureAggregation', 'enabled']) === true;
  const field = { draft, onChange, problems };
  return (
    <>
      <SelectField
        draft={{ choice: on ? 'on' : 'off' }}
        path={['choice']}
        label="Secure aggregation"
        testId="form-secure-aggregation"
        options={CHOICES}
        onChange={(_p, next) => onChange(['secureAggregation'], next === 'on' ? { ...(getIn(draft, ['secureAggregation']) ?? {}), enabled: true } : undefined)}
      />
      {on && (
        <>
          <NumberField
            {...field}
            path={['secureAggregation', 'neighbours']}
            label="Group size k"
            testId="form-secure-neighbours"
            optional
            hint="odd; empty: 2·log2(devices)+1"
          />
          <NumberField
            {...field}
            path={['secureAggregation', 'threshold']}
            label="Threshold t"
            testId="form-secure-threshold"
            optional
            hint="no sum of fewer devices is published; empty: k/3"
          />
          <NumberField
            {...field}
            path={['secureAggregation', 'clip']}
            label="Clip"
            testId="form-secure-clip"
            optional
            hint="each value is clipped to ±clip; empty: 1"
          />
        </>
      )}
    </>
  );
}
