import type { DeviceSessionView } from '@flock/fl-core/device';

/** The local-training card: its heading, the progress bar's fraction (null: no bar, nothing is training) and a line of words. */
export interface TrainingProgress {
  heading: string;
  fraction: number | null;
  text: string;
}

export function trainingProgress(view: DeviceSessionView): TrainingProgress {
  const { job, progress, lastAbandoned } = view;
  if (!job)
    return {
      heading: 'Local training',
      fraction: null,
      text: view.state === 'training' ? 'Preparing the model…' : 'No training yet: rounds start when the operator starts the federation.',
    };
  const heading = `Local training — round ${job.round}`;
  switch (job.phase) {
    case 'training':
      if (!progress) return { heading, fraction: 0, text: 'Preparing the model…' };
      return {
        heading,
        fraction: ((progress.epoch - 1) * progress.batches + progress.batch) / (progress.epochs * progress.batches),
        text: `Epoch ${progress.epoch} of ${progress.epochs}, batch ${progress.batch} of ${progress.batches}`,
      };
    case 'discarded': {
      const why = lastAbandoned?.round === job.round ? ` (${lastAbandoned.reason})` : '';
      return { heading, fraction: null, text: `Round ${job.round} was called off${why}: its training was stopped and its work discarded.` };
    }
    case 'ready':
      return { heading, fraction: null, text: `Round ${job.round} trained: its update waits to be sent.` };
    case 'sending':
      return { heading, fraction: null, text: `Round ${job.round} trained: its update is being sent.` };
    case 'sent':
      return { heading, fraction: null, text: `Round ${job.round} trained and its update sent.` };
    case 'refused':
      return { heading, fraction: null, text: `Round ${job.round} did not count: see the messages below.` };
    default: {
      const unknown: never = job.phase;
      return unknown;
    }
  }
}
