import { useState, type ReactNode } from 'react';
import { getIn, listOfText, type FederationDraft } from './federationDraft.ts';

type Path = readonly (string | number)[];

export interface FieldProps {
  /** What the field edits, and where. */
  draft: unknown;
  path: Path;
  onChange: (path: Path, value: unknown) => void;
  label: string;
  testId: string;
  hint?: ReactNode;
  /** What is wrong with each field, keyed by its path ("training.batchSize"), in words. */
  problems?: ReadonlyMap<string, string>;
}

/** What a group of the federation form's fields (privacy, secure aggregation) takes: the whole draft and where to report changes. */
export interface DraftSectionProps extends Pick<FieldProps, 'onChange' | 'problems'> {
  draft: FederationDraft;
}

/** The problem with the field at `path`, next to it; nothing when it is fine. */
function FieldError({ problems, path, testId }: Pick<FieldProps, 'problems' | 'path' | 'testId'>) {
  const problem = problems?.get(path.join('.'));
  return problem ? (
    <small className="error" role="alert" data-testid={`${testId}-error`}>
      {problem}
    </small>
  ) : null;
}

/** A field's label, its input, its hint and its problem, laid out alike for every kind of field. */
function FieldFrame({
  label,
  hint,
  problems,
  path,
  testId,
  children,
}: Pick<FieldProps, 'label' | 'hint' | 'problems' | 'path' | 'testId'> & { children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
      {hint && <small className="muted">{hint}</small>}
      <FieldError problems={problems} path={path} testId={testId} />
    </label>
  );
}

/** A number input; an empty or unreadable entry becomes NaN, which the schema then names. */
export function NumberField({ draft, path, onChange, label, testId, hint, step, optional, problems }: FieldProps & { step?: number; optional?: boolean }) {
  const value = getIn(draft, path);
  return (
    <FieldFrame label={label} hint={hint} problems={problems} path={path} testId={testId}>
      <input
        data-testid={testId}
        type="number"
        step={step ?? 'any'}
        value={typeof value === 'number' && !Number.isNaN(value) ? value : ''}
        onChange={(e) => onChange(path, e.target.value === '' && optional ? undefined : Number.parseFloat(e.target.value))}
      />
    </FieldFrame>
  );
}

export function TextField({ draft, path, onChange, label, testId, hint, disabled, problems }: FieldProps & { disabled?: boolean }) {
  const value = getIn(draft, path);
  return (
    <FieldFrame label={label} hint={hint} problems={problems} path={path} testId={testId}>
      <input
        data-testid={testId}
        type="text"
        value={typeof value === 'string' ? value : ''}
        disabled={disabled}
        onChange={(e) => onChange(path, e.target.value)}
      />
    </FieldFrame>
  );
}

export function SelectField<T extends string>({
  draft,
  path,
  onChange,
  label,
  testId,
  hint,
  options,
  problems,
}: FieldProps & { options: readonly T[] | readonly { value: T; label: string }[] }) {
  const value = getIn(draft, path);
  const entries = options.map((o) => (typeof o === 'string' ? { value: o, label: o } : o));
  return (
    <FieldFrame label={label} hint={hint} problems={problems} path={path} testId={testId}>
      <select data-testid={testId} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(path, e.target.value)}>
        {entries.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

/** A comma-separated list edited as text, kept as typed while the draft holds the parsed list. */
export function ListField({ draft, path, onChange, label, testId, problems }: FieldProps) {
  const value = getIn(draft, path);
  const [text, setText] = useState(() => (Array.isArray(value) ? value.join(', ') : ''));
  return (
    <FieldFrame label={label} hint="comma-separated" problems={problems} path={path} testId={testId}>
      <input
        data-testid={testId}
        type="text"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          onChange(path, listOfText(e.target.value));
        }}
      />
    </FieldFrame>
  );
}
