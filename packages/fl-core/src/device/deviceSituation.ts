import type { DeviceSessionView } from './deviceAdapters.ts';

/** One sentence telling the person at the device what is happening now and what comes next. */
export function describeSituation(view: DeviceSessionView): string {
  const job = view.job;
  const away = view.connection === 'reconnecting' || view.connection === 'waiting for coordinator';
  if (view.state === 'error') return `Something went wrong: ${view.detail ?? 'this device stopped without saying why; reload the page'}.`;
  if (away) {
    const attempt = view.reconnectAttempt ? ` (attempt ${view.reconnectAttempt})` : '';
    if (job?.phase === 'training') return `Connection lost${attempt}: training round ${job.round} goes on; its update is sent once reconnected.`;
    if (job?.phase === 'ready' || job?.phase === 'sending')
      return `Connection lost${attempt}: the update for round ${job.round} is kept and sent once reconnected.`;
    return `Connection lost${attempt}: reconnecting; nothing to do until then.`;
  }
  switch (view.state) {
    case 'idle':
      return 'Not joined yet.';
    case 'joining':
      return 'Joining the federation…';
    case 'downloading-data':
      return 'Downloading this device’s training examples (once; they stay on this device).';
    case 'training': {
      const round = job?.round ?? view.round ?? '?';
      const late = view.lastMissed && view.lastMissed.round === job?.round ? ', which the coordinator closed meanwhile: it may not count' : '';
      const paused = view.federation?.status === 'paused' ? '; the federation was paused meanwhile: the update is kept and sent when it resumes' : '';
      return `Training round ${round}${late}${paused}.`;
    }
    case 'uploading':
      return `Sending the update for round ${job?.round ?? view.round ?? '?'}.`;
    case 'waiting-for-round':
      return waitingText(view);
    default: {
      const unknown: never = view.state;
      return unknown;
    }
  }
}

function waitingText(view: DeviceSessionView): string {
  const { job, federation, lastMissed } = view;
  if (federation?.status === 'paused') {
    const kept = job?.phase === 'ready' ? `The update for round ${job.round} is kept for when it resumes. ` : '';
    return `${discardedText(view)}${kept}The operator paused the federation. Nothing to do: this device carries on by itself when it resumes.`;
  }
  if (job?.phase === 'ready') return `The update for round ${job.round} is kept until the coordinator hands round ${job.round} out again.`;
  if (federation?.status === 'finished') return 'The federation finished: nothing more to do here; you can close this page.';
  if (federation?.status === 'stopped') return 'The operator stopped the federation: nothing more to do here; you can close this page.';
  const missed = lastMissed && lastMissed.round === job?.round ? `Round ${lastMissed.round} missed (${lastMissed.reason}). ` : '';
  const sent = !missed && job?.phase === 'sent' ? `Round ${job.round} sent. ` : '';
  if (federation?.status === 'training' && federation.round > (job?.round ?? 0)) {
    return `${missed}${sent}The federation is training round ${federation.round} without this device; waiting for the next round.`;
  }
  if (federation?.status === 'idle')
    return `${missed}${sent}The operator has not started the federation yet: nothing to do, training starts by itself when they do.`;
  if (federation?.status === 'waiting') return `${missed}${sent}The federation waits for more devices to join before its next round: nothing to do.`;
  return `${missed}${sent}Waiting for the next round.`;
}

/** What became of the round this device was working on when the coordinator called it off. */
function discardedText({ job, lastAbandoned }: DeviceSessionView): string {
  if (job?.phase !== 'discarded' || lastAbandoned?.round !== job.round) return '';
  return `Round ${job.round} was called off (${lastAbandoned.reason}): this device stopped and discarded its work on it. `;
}
