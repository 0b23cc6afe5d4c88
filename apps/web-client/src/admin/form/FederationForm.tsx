import { DownlinkCodecName, UplinkCodecName, type FederationSummary, type FieldProblem } from '@flock/fl-core/protocol';
import { DEFAULT_MAX_EXAMPLES_PER_DEVICE, type FederationConfig } from '@flock/fl-core/config';
import { strategyCatalog } from '@flock/fl-core/strategy';
import { useState, type FormEvent } from 'react';
import { createFederation, editFederation } from '../api/adminApi.ts';
import { checkDraft, datasetOfKind, draftFromConfig, getIn, NEW_FEDERATION_DRAFT, problemsByPath, setIn, type FederationDraft } from './federationDraft.ts';
import { ListField, NumberField, SelectField, TextField } from './formFields.tsx';
import { ModelField } from './ModelField.tsx';
import { PrivacyFields } from './PrivacyFields.tsx';
import { SecureAggregationFields } from './SecureAggregationFields.tsx';
import { StrategyOptions } from './StrategyOptions.tsx';

type Path = readonly (string | number)[];

interface FederationFormProps {
  token: string;
  /** The federation to edit (before its first start); absent: a new one. */
  editing?: FederationConfig;
  onSaved: (summary: FederationSummary) => void;
  onCancel: () => void;
}

const STRATEGIES = strategyCatalog();

/** The whole federation config as a form: model, dataset, hyperparameters, round policy, codec, strategy. */
export function FederationForm({ token, editing, onSaved, onCancel }: FederationFormProps) {
  const [draft, setDraft] = useState<FederationDraft>(() => (editing ? draftFromConfig(editing) : NEW_FEDERATION_DRAFT));
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  /** The coordinator's answer when it refused what the form let through. */
  const [refusal, setRefusal] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const change = (path: Path, value: unknown) => setDraft((d) => setIn(d, path, value));
  const field = { draft, onChange: change, problems: problemsByPath(problems) };
  const dataset = draft.dataset;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkDraft(draft);
    setProblems(checked.ok ? [] : checked.problems);
    setRefusal(null);
    if (!checked.ok) return;
    setSaving(true);
    const saved = editing ? await editFederation(token, checked.config) : await createFederation(token, checked.config);
    setSaving(false);
    if (!saved.ok) return setRefusal(`The coordinator did not save the federation: ${saved.reason}`);
    onSaved(saved.value);
  };

  const clients = draft.clientsPerRound;
  const clientsKind = clients === 'all' ? 'all' : typeof clients === 'number' ? 'count' : 'fraction';
  const deadlineMode = getIn(draft, ['deadline', 'mode']);
  const modeKind = getIn(draft, ['mode', 'kind']);
  const schemaType = getIn(draft, ['dataset', 'schema', 'type']);

  return (
    <form className="card federation-form" data-testid="federation-form" onSubmit={(e) => void submit(e)}>
      <h2>{editing ? `Edit federation “${editing.id}”` : 'New federation'}</h2>
      <fieldset>
        <legend>Federation</legend>
        <TextField {...field} path={['id']} label="Id" testId="form-id" disabled={editing !== undefined} hint="letters, digits, _ and -" />
        <TextField {...field} path={['name']} label="Name" testId="form-name" />
        <ModelField {...field} path={['model']} token={token} dataset={dataset} />
        <SelectField {...field} path={['join']} label="Who may join" testId="form-join" options={['open', 'enrollment']} />
      </fieldset>

      <fieldset>
        <legend>Data</legend>
        <SelectField
          {...field}
          path={['dataset', 'kind']}
          label="Dataset"
          testId="form-dataset"
          options={[
            { value: 'mnist', label: 'MNIST digits (shards from the coordinator)' },
            { value: 'fashion-mnist', label: 'Fashion-MNIST clothes (shards from the coordinator)' },
            { value: 'device', label: "devices' own data (imported on each device)" },
          ]}
          onChange={(_path, kind) => change(['dataset'], datasetOfKind(kind as 'mnist', dataset))}
        />
        {dataset.kind !== 'device' ? (
          <>
            <SelectField {...field} path={['dataset', 'partition']} label="Partition" testId="form-partition" options={['iid', 'shards', 'dirichlet']} />
            {dataset.partition === 'dirichlet' && <NumberField {...field} path={['dataset', 'alpha']} label="Dirichlet alpha" testId="form-alpha" optional />}
            <NumberField {...field} path={['dataset', 'examplesPerDevice']} label="Examples per device" testId="form-examples-per-device" step={1} />
            <NumberField
              {...field}
              path={['dataset', 'numDevices']}
              label="Shards (K)"
              testId="form-num-devices"
              step={1}
              optional
              hint="default: the training set / examples per device"
            />
            <NumberField {...field} path={['dataset', 'seed']} label="Partition seed" testId="form-dataset-seed" step={1} />
          </>
        ) : (
          <>
            <SelectField
              {...field}
              path={['dataset', 'schema', 'type']}
              label="Examples are"
              testId="form-schema-type"
              options={['csv', 'image']}
              onChange={(_path, type) =>
                change(
                  ['dataset', 'schema'],
                  type === 'image'
                    ? { type, width: 28, height: 28, channels: 1, classes: ['a', 'b'] }
                    : { type, features: ['x1', 'x2'], label: 'label', classes: ['a', 'b'] },
                )
              }
            />
            {schemaType === 'csv' ? (
              <>
                <ListField {...field} path={['dataset', 'schema', 'features']} label="Feature columns" testId="form-schema-features" />
                <TextField {...field} path={['dataset', 'schema', 'label']} label="Label column" testId="form-schema-label" />
              </>
            ) : (
              <>
                <NumberField {...field} path={['dataset', 'schema', 'width']} label="Width" testId="form-schema-width" step={1} />
                <NumberField {...field} path={['dataset', 'schema', 'height']} label="Height" testId="form-schema-height" step={1} />
                <SelectField
                  {...field}
                  path={['dataset', 'schema', 'channels']}
                  label="Channels"
                  testId="form-schema-channels"
                  options={['1', '3']}
                  onChange={(p, v) => change(p, Number(v))}
                />
              </>
            )}
            <ListField {...field} path={['dataset', 'schema', 'classes']} label="Classes (label order)" testId="form-schema-classes" />
            <NumberField {...field} path={['dataset', 'testFraction']} label="Local test fraction" testId="form-test-fraction" />
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>Local training</legend>
        <NumberField {...field} path={['training', 'epochs']} label="Epochs" testId="form-epochs" step={1} />
        <NumberField {...field} path={['training', 'batchSize']} label="Batch size" testId="form-batch-size" step={1} />
        <NumberField {...field} path={['training', 'learningRate']} label="Learning rate" testId="form-learning-rate" />
        <SelectField {...field} path={['training', 'optimizer']} label="Optimizer" testId="form-optimizer" options={['sgd', 'momentum', 'adam']} />
      </fieldset>

      <fieldset>
        <legend>Rounds</legend>
        <NumberField {...field} path={['maxRounds']} label="Rounds" testId="form-max-rounds" step={1} />
        <NumberField {...field} path={['minDevices']} label="Min devices" testId="form-min-devices" step={1} />
        <label className="field">
          <span>Clients per round</span>
          <select
            data-testid="form-clients-kind"
            value={clientsKind}
            onChange={(e) => change(['clientsPerRound'], e.target.value === 'all' ? 'all' : e.target.value === 'count' ? 2 : { fraction: 0.1 })}
          >
            <option value="all">all connected</option>
            <option value="count">a count</option>
            <option value="fraction">a fraction</option>
          </select>
        </label>
        {clientsKind === 'count' && <NumberField {...field} path={['clientsPerRound']} label="Count" testId="form-clients-count" step={1} />}
        {clientsKind === 'fraction' && <NumberField {...field} path={['clientsPerRound', 'fraction']} label="Fraction C" testId="form-clients-fraction" />}
        <NumberField
          {...field}
          path={['targetAccuracy']}
          label="Target accuracy"
          testId="form-target-accuracy"
          optional
          hint="finish early at this test accuracy"
        />
        <NumberField {...field} path={['evalExamples']} label="Test examples" testId="form-eval-examples" step={1} />
        <NumberField {...field} path={['modelSeed']} label="Model seed" testId="form-model-seed" step={1} />
        <NumberField
          {...field}
          path={['maxExamplesPerDevice']}
          label="Max examples per device"
          testId="form-max-examples-per-device"
          step={1}
          optional
          hint={`a device bringing its own data counts at most this many (default ${DEFAULT_MAX_EXAMPLES_PER_DEVICE.toLocaleString()})`}
        />
      </fieldset>

      <fieldset>
        <legend>Round policy</legend>
        <SelectField
          {...field}
          path={['deadline', 'mode']}
          label="Deadline"
          testId="form-deadline-mode"
          options={['adaptive', 'fixed']}
          onChange={(_p, mode) => change(['deadline'], mode === 'fixed' ? { mode, ms: 120_000 } : { mode, multiplier: 3, floorMs: 30_000, ceilingMs: 600_000 })}
        />
        {deadlineMode === 'fixed' ? (
          <NumberField {...field} path={['deadline', 'ms']} label="Deadline (ms)" testId="form-deadline-ms" step={1000} />
        ) : (
          <>
            <NumberField {...field} path={['deadline', 'multiplier']} label="x slowest device" testId="form-deadline-multiplier" />
            <NumberField {...field} path={['deadline', 'floorMs']} label="At least (ms)" testId="form-deadline-floor" step={1000} />
            <NumberField {...field} path={['deadline', 'ceilingMs']} label="At most (ms)" testId="form-deadline-ceiling" step={1000} />
          </>
        )}
        <NumberField {...field} path={['quorum']} label="Quorum" testId="form-quorum" />
        <SelectField {...field} path={['belowQuorum']} label="Below quorum" testId="form-below-quorum" options={['extend-once', 'abandon']} />
        <SelectField
          {...field}
          path={['mode', 'kind']}
          label="Aggregation"
          testId="form-mode"
          options={[
            { value: 'sync', label: 'synchronous rounds' },
            { value: 'async', label: 'FedBuff (asynchronous)' },
          ]}
          onChange={(_p, kind) => change(['mode'], kind === 'async' ? { kind, bufferSize: 10, maxStaleness: 10 } : { kind })}
        />
        {modeKind === 'async' && (
          <>
            <NumberField {...field} path={['mode', 'bufferSize']} label="Buffer" testId="form-buffer-size" step={1} />
            <NumberField {...field} path={['mode', 'maxStaleness']} label="Max staleness" testId="form-max-staleness" step={1} />
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>Updates and aggregation</legend>
        <SelectField {...field} path={['codec', 'uplink']} label="Uplink codec" testId="form-uplink" options={UplinkCodecName.options} />
        {getIn(draft, ['codec', 'uplink']) === 'topk' && (
          <NumberField {...field} path={['codec', 'topkFraction']} label="Top-k fraction" testId="form-topk-fraction" optional />
        )}
        <SelectField {...field} path={['codec', 'downlink']} label="Downlink codec" testId="form-downlink" options={DownlinkCodecName.options} />
        <SelectField
          {...field}
          path={['strategy', 'name']}
          label="Strategy"
          testId="form-strategy"
          options={STRATEGIES.map((s) => ({ value: s.name, label: s.label }))}
          onChange={(_p, name) => change(['strategy'], { name, options: {} })}
        />
        <StrategyOptions strategies={STRATEGIES} {...field} />
        <PrivacyFields {...field} />
        <SecureAggregationFields {...field} />
      </fieldset>

      {problems.length > 0 && (
        <div className="error" data-testid="form-error">
          <p>Nothing was saved: fix what is marked above.</p>
          <ul>
            {problems.map((p) => (
              <li key={`${p.path} ${p.text}`}>
                {p.field.charAt(0).toUpperCase() + p.field.slice(1)}: {p.text}
              </li>
            ))}
          </ul>
        </div>
      )}
      {refusal && (
        <p className="error" data-testid="form-error">
          {refusal}
        </p>
      )}
      <div className="controls">
        <button data-testid="form-submit" type="submit" disabled={saving}>
          {editing ? 'Save changes' : 'Create federation'}
        </button>
        <button type="button" data-testid="form-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
