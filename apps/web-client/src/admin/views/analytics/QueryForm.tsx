import { describeAnswer, type QueryContext } from '@flock/fl-core/analytics';
import { useState, type FormEvent, type ReactNode } from 'react';
import { submitQuery, type QueryRecord } from '../../api/queriesApi.ts';
import {
  defaultDeadlineSeconds,
  draftQuery,
  initialDraft,
  KIND_HINTS,
  KIND_TITLES,
  kindsFor,
  newStatsColumn,
  type QueryDraft,
  type StatsColumnDraft,
} from './queryDraft.ts';

interface QueryFormProps {
  token: string;
  federationId: string;
  context: QueryContext;
  onAsked: (record: QueryRecord) => void;
}

function Field({ label, hint, children }: { label: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
      {hint && <small className="muted">{hint}</small>}
    </label>
  );
}

/** Asks the federation's devices one query: its kind, its privacy and, for CSV data, the columns it reads. */
export function QueryForm({ token, federationId, context, onAsked }: QueryFormProps) {
  const [draft, setDraft] = useState<QueryDraft>(() => initialDraft(context));
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const set = (fields: Partial<QueryDraft>) => setDraft((d) => ({ ...d, ...fields }));
  const drafted = draftQuery(draft, context);
  const columns = context.columns ?? [];
  const kinds = kindsFor(context);

  const ask = async (event: FormEvent) => {
    event.preventDefault();
    if (!drafted.ok) return;
    setSending(true);
    setProblem(null);
    const sent = await submitQuery(token, federationId, drafted.query);
    setSending(false);
    if (sent.ok) onAsked(sent.value);
    else setProblem(`The coordinator did not queue the query: ${sent.reason}`);
  };

  const setColumn = (i: number, fields: Partial<StatsColumnDraft>) =>
    set({ statsColumns: draft.statsColumns.map((c, j) => (j === i ? { ...c, ...fields } : c)) });

  return (
    <form className="query-form" data-testid="query-form" onSubmit={(e) => void ask(e)}>
      <div className="controls">
        <Field label="Query" hint={KIND_HINTS[draft.kind]}>
          <select data-testid="query-kind" value={draft.kind} onChange={(e) => set({ kind: kinds.find((k) => k === e.target.value) ?? draft.kind })}>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {KIND_TITLES[k]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Fewest devices (minDevices)" hint="Below this many answers nothing is reported.">
          <input
            data-testid="query-min-devices"
            className="narrow"
            inputMode="numeric"
            value={draft.minDevices}
            onChange={(e) => set({ minDevices: e.target.value })}
          />
        </Field>
        <Field label="ε (optional)" hint="Adds Laplace noise to the pooled numbers; empty: no noise.">
          <input data-testid="query-epsilon" className="narrow" inputMode="decimal" value={draft.epsilon} onChange={(e) => set({ epsilon: e.target.value })} />
        </Field>
        <Field label="Examples per device (examplesPerDevice)" hint="Each device counts at most this many (a random sample); needed with ε.">
          <input
            data-testid="query-examples-per-device"
            className="narrow"
            inputMode="numeric"
            placeholder={String(context.maxExamplesPerDevice)}
            value={draft.examplesPerDevice}
            onChange={(e) => set({ examplesPerDevice: e.target.value })}
          />
        </Field>
        <Field label="Deadline (s)">
          <input
            className="narrow"
            inputMode="decimal"
            placeholder={defaultDeadlineSeconds(draft.kind)}
            value={draft.deadlineSeconds}
            onChange={(e) => set({ deadlineSeconds: e.target.value })}
          />
        </Field>
      </div>

      {draft.kind === 'column-stats' &&
        draft.statsColumns.map((c, i) => (
          <div className="controls" key={i} data-testid="stats-column">
            <ColumnPicker label="Column" columns={columns} value={c.name} onChange={(name) => setColumn(i, { name })} />
            <Field label="low">
              <input className="narrow" inputMode="decimal" value={c.low} onChange={(e) => setColumn(i, { low: e.target.value })} />
            </Field>
            <Field label="high">
              <input className="narrow" inputMode="decimal" value={c.high} onChange={(e) => setColumn(i, { high: e.target.value })} />
            </Field>
            <Field label="bins">
              <input className="narrow" inputMode="numeric" value={c.bins} onChange={(e) => setColumn(i, { bins: e.target.value })} />
            </Field>
            {draft.statsColumns.length > 1 && (
              <button type="button" onClick={() => set({ statsColumns: draft.statsColumns.filter((_, j) => j !== i) })}>
                Remove
              </button>
            )}
          </div>
        ))}
      {draft.kind === 'column-stats' && (
        <button
          type="button"
          onClick={() =>
            set({ statsColumns: [...draft.statsColumns, newStatsColumn(columns.find((n) => !draft.statsColumns.some((c) => c.name === n)) ?? '')] })
          }
        >
          Add a column
        </button>
      )}

      {draft.kind === 'quantiles' && (
        <div className="controls">
          <ColumnPicker label="Column" columns={columns} value={draft.column} onChange={(column) => set({ column })} />
          <Field label="Bin edges" hint="Rising numbers, comma-separated; quantiles are exact to a bin's width.">
            <input value={draft.edges} onChange={(e) => set({ edges: e.target.value })} />
          </Field>
          <Field label="Quantiles" hint="Fractions, e.g. 0.5 for the median.">
            <input value={draft.quantiles} onChange={(e) => set({ quantiles: e.target.value })} />
          </Field>
        </div>
      )}

      {draft.kind === 'frequent-values' && (
        <div className="controls">
          {columns.length > 0 && (
            <Field label="Column">
              <select value={draft.frequentColumn} onChange={(e) => set({ frequentColumn: e.target.value })}>
                <option value="">the label{context.labelColumn ? ` (${context.labelColumn})` : ''}</option>
                {columns.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field
            label="Values to count"
            hint={draft.frequentColumn === '' ? 'Class names, comma-separated; empty: every class.' : 'The numeric codes to count, comma-separated.'}
          >
            <input value={draft.values} onChange={(e) => set({ values: e.target.value })} />
          </Field>
          <Field label="k" hint="A value is shown only when at least k devices hold it.">
            <input className="narrow" inputMode="numeric" value={draft.k} onChange={(e) => set({ k: e.target.value })} />
          </Field>
        </div>
      )}

      {drafted.ok ? (
        <p className="muted" data-testid="query-what-leaves">
          What leaves each device asked: {describeAnswer(drafted.query, context)}
        </p>
      ) : (
        <p className="error" data-testid="query-draft-problem">
          {drafted.reason}
        </p>
      )}
      <button data-testid="query-ask" type="submit" disabled={sending || !drafted.ok}>
        {sending ? 'Asking…' : 'Ask the devices'}
      </button>
      {problem && (
        <p className="error" role="alert" data-testid="query-problem">
          {problem}
        </p>
      )}
    </form>
  );
}

function ColumnPicker({ label, columns, value, onChange }: { label: string; columns: readonly string[]; value: string; onChange: (column: string) => void }) {
  return (
    <Field label={label}>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </Field>
  );
}
