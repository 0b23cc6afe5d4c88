// The evaluation thread: tfjs and the demo test sets live here, off the coordinator's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { chooseNodeBackend } from '@flock/fl-core/node';
import type { EvaluateReply, EvaluateRequest, EvaluationWorkerSetup } from './evaluationMessages.ts';
import { MnistSource } from './mnistSource.ts';
import { ModelEvaluator, useCpuBackend } from './modelEvaluator.ts';

const port = parentPort;
if (!port) throw new Error('evaluationWorker.ts runs as a worker thread');
const setup = workerData as EvaluationWorkerSetup;
const ready = setup.backend ? chooseNodeBackend(setup.backend, { verbose: setup.verbose ?? false }) : useCpuBackend();
const mnist = new MnistSource();
const topologies = new Map<string, unknown>();
const evaluator = new ModelEvaluator(
  (dataset) => mnist.get('test', dataset),
  async (id) => topologies.get(id),
);

port.on('message', (request: EvaluateRequest) => {
  void answer(request).then((reply) => port.postMessage(reply));
});

async function answer({ id, model, topology, weights, examples, dataset }: EvaluateRequest): Promise<EvaluateReply> {
  try {
    await ready;
    if (topology !== undefined) topologies.set(model, topology);
    const { accuracy, loss } = await evaluator.evaluate(model, weights, examples, dataset);
    return { id, ok: true, accuracy, loss };
  } catch (err) {
    return { id, ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
