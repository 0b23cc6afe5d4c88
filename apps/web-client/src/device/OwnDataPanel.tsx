import { heldOutCount } from '@flock/fl-core/data';
import type { DeviceDataset } from '@flock/fl-core/config';
import { formatBytes } from '../format.ts';
import type { DeviceView } from './deviceController.ts';

interface OwnDataPanelProps {
  view: DeviceView;
  dataset: DeviceDataset;
  onImport: (files: File[]) => void;
  onDelete: () => void;
}

/** Import examples into this tab (checked against the federation's schema), see what is held, delete it. */
export function OwnDataPanel({ view, dataset, onImport, onDelete }: OwnDataPanelProps) {
  const { schema, testFraction } = dataset;
  const heldOut = heldOutCount(view.ownExamples, testFraction);
  // The hello declares how many examples the device trains on: changing them needs a fresh join.
  const locked = view.joined || view.importing;
  const picked = (files: FileList | null, input: HTMLInputElement) => {
    if (files && files.length > 0) onImport([...files]);
    input.value = '';
  };

  return (
    <section className="card own-data" data-testid="own-data">
      <h2>Your data</h2>
      <p className="muted" data-testid="own-data-format">
        {schema.type === 'csv'
          ? `A CSV file with a header row holding the columns ${schema.features.join(', ')} (numbers) and ${schema.label} (one of ${schema.classes.join(', ')}).`
          : `A folder with one subfolder per class (${schema.classes.join(', ')}); images of at least ${schema.width}x${schema.height}, scaled to that size${schema.channels === 1 ? ' in grayscale' : ''}.`}{' '}
        The examples stay in this browser: only model updates and the answers to the federation's questions leave it. {Math.round(testFraction * 100)}% are held
        out to evaluate the global model.
      </p>
      <label className="join-row">
        {schema.type === 'csv' ? 'Import a CSV file: ' : 'Import a folder of images: '}
        {schema.type === 'csv' ? (
          <input
            type="file"
            accept=".csv,text/csv"
            data-testid="import-file"
            disabled={locked}
            onChange={(e) => picked(e.currentTarget.files, e.currentTarget)}
          />
        ) : (
          <input
            type="file"
            multiple
            {...{ webkitdirectory: '' }}
            data-testid="import-file"
            disabled={locked}
            onChange={(e) => picked(e.currentTarget.files, e.currentTarget)}
          />
        )}
      </label>
      {view.importNotice && (
        <p className={view.importNotice.ok ? 'notice' : 'error'} data-testid="import-result">
          {view.importNotice.text}
        </p>
      )}
      <dl className="facts">
        <dt>Examples stored</dt>
        <dd>
          <span data-testid="own-examples">{view.ownExamples}</span>
          <span className="muted"> ({heldOut} held out for evaluation)</span>
        </dd>
        <dt>Storage used</dt>
        <dd data-testid="storage-used">{view.storageUsed === null ? '—' : formatBytes(view.storageUsed)}</dd>
      </dl>
      <button data-testid="delete-examples" disabled={locked || view.ownExamples === 0} onClick={onDelete}>
        Delete my examples
      </button>
      {view.joined && <p className="muted">Reload the page to change your examples.</p>}
    </section>
  );
}
