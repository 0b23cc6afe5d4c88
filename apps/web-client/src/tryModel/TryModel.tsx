import { classNames, datasetShape, type DatasetConfig } from '@flock/fl-core/config';
import { useRef, useState, type PointerEvent } from 'react';
import { canvasInput, predictWithGlobalModel, type ModelInput } from './predict.ts';
import { predictionWords } from './predictionWords.ts';

/** An example the device holds, ready for the model, with its true class when known. */
export interface LocalExample {
  input: ModelInput;
  label: number;
  /** What the example is, in words (e.g. "example 17 of 120"). */
  description: string;
}

interface TryModelProps {
  federationId: string;
  dataset: DatasetConfig | null;
  /** Picks one of the device's own examples; absent where the page holds none (the dashboard). */
  pickExample?: () => Promise<LocalExample | null>;
  /** The token to fetch the model with (an enrollment-only federation's model is for its members only). */
  modelToken?: () => Promise<string | null>;
}

const CANVAS_SIDE = 196;

type Outcome = { kind: 'prediction'; probabilities: number[]; source: string; truth: number | null } | { kind: 'error'; message: string } | null;

/**
 * Runs the current global model in this page on a drawing (image datasets) or on a local example,
 * and shows the predicted class with each class's probability.
 */
export function TryModel({ federationId, dataset, pickExample, modelToken }: TryModelProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  if (!dataset) return null;
  const shape = datasetShape(dataset);
  const names = classNames(dataset);
  const drawable = dataset.kind !== 'device' || dataset.schema.type === 'image';

  const run = async (input: () => Promise<{ input: ModelInput; source: string; truth: number | null } | null>) => {
    setBusy(true);
    try {
      const picked = await input();
      if (!picked)
        setOutcome({
          kind: 'error',
          message: 'This device holds no examples yet: they are stored here once it joins the federation (or once you import your own).',
        });
      else
        setOutcome({
          kind: 'prediction',
          probabilities: await predictWithGlobalModel(federationId, picked.input, (await modelToken?.()) ?? null),
          source: picked.source,
          truth: picked.truth,
        });
    } catch (err) {
      setOutcome({
        kind: 'error',
        message: `Could not run the model (${err instanceof Error ? err.message : String(err)}): the federation may have no model yet; try again after its first round.`,
      });
    } finally {
      setBusy(false);
    }
  };

  const stroke = (event: PointerEvent<HTMLCanvasElement>, start: boolean) => {
    const context = canvas.current?.getContext('2d');
    if (!context || (!start && !drawing.current)) return;
    const box = event.currentTarget.getBoundingClientRect();
    const [x, y] = [((event.clientX - box.left) * CANVAS_SIDE) / box.width, ((event.clientY - box.top) * CANVAS_SIDE) / box.height];
    if (start) {
      drawing.current = true;
      context.beginPath();
      context.moveTo(x, y);
    }
    context.lineTo(x, y);
    context.stroke();
  };

  const clear = () => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    context.fillStyle = 'black';
    context.fillRect(0, 0, CANVAS_SIDE, CANVAS_SIDE);
    Object.assign(context, { strokeStyle: 'white', lineWidth: 16, lineCap: 'round', lineJoin: 'round' });
    setOutcome(null);
  };

  return (
    <section className="card try-model" data-testid="try-model">
      <h2>Try the model</h2>
      <p className="muted">
        Runs the current global model in this page{drawable ? ': draw in the box, or try an example this device holds.' : ' on an example this device holds.'}
      </p>
      {drawable && (
        <canvas
          ref={(element) => {
            if (element && canvas.current !== element) {
              canvas.current = element;
              clear();
            }
          }}
          data-testid="try-canvas"
          width={CANVAS_SIDE}
          height={CANVAS_SIDE}
          style={{ touchAction: 'none', cursor: 'crosshair', border: '1px solid #888' }}
          onPointerDown={(e) => stroke(e, true)}
          onPointerMove={(e) => stroke(e, false)}
          onPointerUp={() => (drawing.current = false)}
          onPointerLeave={() => (drawing.current = false)}
        />
      )}
      <div className="join-row">
        {drawable && (
          <>
            <button
              data-testid="try-predict"
              disabled={busy}
              onClick={() =>
                void run(async () => (canvas.current ? { input: canvasInput(canvas.current, shape.inputShape), source: 'your drawing', truth: null } : null))
              }
            >
              Predict the drawing
            </button>
            <button data-testid="try-clear" disabled={busy} onClick={clear}>
              Clear
            </button>
          </>
        )}
        {pickExample && (
          <button
            data-testid="try-example"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                const example = await pickExample();
                return example && { input: example.input, source: example.description, truth: example.label };
              })
            }
          >
            Try a local example
          </button>
        )}
      </div>
      {outcome?.kind === 'error' && (
        <p className="error" data-testid="try-error">
          {outcome.message}
        </p>
      )}
      {outcome?.kind === 'prediction' && <Prediction names={names} {...outcome} />}
    </section>
  );
}

function Prediction({ names, probabilities, source, truth }: { names: string[]; probabilities: number[]; source: string; truth: number | null }) {
  const words = predictionWords(probabilities, names, truth);
  return (
    <p data-testid="try-result">
      On {source} it looks like {words.article}
      <strong data-testid="try-prediction">{words.name}</strong> {words.sure}
      {words.next}.{words.verdict && <span className="muted"> {words.verdict}</span>}
    </p>
  );
}
