import { describeSituation } from '@flock/fl-core/device';
import { deviceStateWords } from '@flock/fl-core/protocol';
import { useMemo } from 'react';
import { formatBytes, formatNumber, formatPercent, shortId } from '../format.ts';
import { TryModel } from '../tryModel/TryModel.tsx';
import { AnsweredQueries } from './AnsweredQueries.tsx';
import type { DeviceView } from './deviceController.ts';
import { engineText, joinPendingText, trainingEngineText, type EngineStatus } from './engineStatus.ts';
import { OwnDataPanel } from './OwnDataPanel.tsx';
import { PrivacyNotice } from './PrivacyNotice.tsx';
import { deviceOptionsFromQuery } from './queryParams.ts';
import { trainingProgress } from './trainingProgress.ts';
import { useDevice } from './useDevice.ts';
import './device.css';

export function DevicePage() {
  const options = useMemo(() => deviceOptionsFromQuery(window.location.search), []);
  const { view, join, controller } = useDevice(options);
  if (!view) return <main className="page device">Starting…</main>;
  const canJoin = view.deviceId !== null && view.engine.phase !== 'failed';
  const local = trainingProgress(view);

  return (
    <main className="page device">
      <header>
        <h1>Flock device</h1>
        <p className="privacy">
          Your training examples stay on this device: only model updates (weight deltas) and the answers to the federation's questions (counts and sums, listed
          below) are sent.
        </p>
        <PrivacyNotice view={view} />
      </header>

      <section className="card">
        <div className="join-row">
          {!view.joined && (
            <button data-testid="join" onClick={join} disabled={!canJoin}>
              Join federation “{view.federationId}”
            </button>
          )}
          <span className="connection" data-testid="connection">
            {connectionText(view)}
          </span>
        </div>
        {view.joined && (
          <p className="notice" data-testid="notice">
            {joinPendingText(view.engine) ?? describeSituation(view)}
          </p>
        )}
        <EngineLine engine={view.engine} />
        <dl className="facts">
          <dt>State</dt>
          <dd>
            <span className={`state state-${view.state}`} data-testid="device-status" data-state={view.state}>
              {deviceStateWords(view.state)}
            </span>
          </dd>
          <dt>Device id</dt>
          {/* Shortened as the dashboard shows it, so a person can point the operator to this device. */}
          <dd className="mono" data-testid="device-id" data-device-id={view.deviceId ?? ''} title={view.deviceId ?? undefined}>
            {view.deviceId ? shortId(view.deviceId) : '—'}
          </dd>
          <dt>Federation</dt>
          <dd>
            {view.federationId}
            {view.federation && (
              <span className="muted">
                {' '}
                — {view.federation.status}, round <span data-testid="global-round">{view.federation.round}</span>, accuracy{' '}
                <span data-testid="global-accuracy">{formatPercent(view.federation.accuracy)}</span>
              </span>
            )}
          </dd>
        </dl>
      </section>

      {view.dataset?.kind === 'device' && controller && (
        <OwnDataPanel
          view={view}
          dataset={view.dataset}
          onImport={(files) => void controller.importFiles(files)}
          onDelete={() => void controller.deleteOwnExamples()}
        />
      )}

      <section className="card">
        <h2>{local.heading}</h2>
        {local.fraction !== null && <progress data-testid="progress" max={1} value={local.fraction} />}
        <p className="muted" data-testid="progress-text">
          {local.text}
        </p>
        <dl className="facts">
          <dt>Local loss</dt>
          <dd data-testid="local-loss">{formatNumber(view.localLoss)}</dd>
          <dt>Local accuracy</dt>
          <dd data-testid="local-accuracy">{formatPercent(view.localAccuracy)}</dd>
          {view.heldOutEvaluation && (
            <>
              <dt>Global model on your held-out examples</dt>
              <dd data-testid="held-out-accuracy">
                {formatPercent(view.heldOutEvaluation.accuracy)} <span className="muted">({view.heldOutEvaluation.examples} examples)</span>
              </dd>
            </>
          )}
          <dt>Rounds done</dt>
          <dd data-testid="rounds-done">{view.roundsDone}</dd>
          <dt>Rounds missed</dt>
          <dd>
            <span data-testid="rounds-missed">{view.roundsMissed}</span>
            {view.lastMissed && (
              <span className="muted" data-testid="last-missed">
                {' '}
                — round {view.lastMissed.round}: {view.lastMissed.reason}
              </span>
            )}
          </dd>
          <dt>Bytes sent</dt>
          <dd>
            <span data-testid="bytes-sent">{view.bytesSent}</span>
            <span className="muted"> ({formatBytes(view.bytesSent)})</span>
          </dd>
          <dt>Examples stored</dt>
          <dd data-testid="examples-stored">{view.examplesStored}</dd>
          <dt>Tensors in memory</dt>
          <dd data-testid="num-tensors">{view.numTensors ?? '—'}</dd>
          <dt>GPU bytes in use</dt>
          <dd data-testid="gpu-bytes">{view.gpuBytes ?? '—'}</dd>
        </dl>
      </section>

      <TryModel
        federationId={view.federationId}
        dataset={view.dataset}
        {...(controller ? { pickExample: controller.pickExample, modelToken: controller.modelToken } : {})}
      />

      <AnsweredQueries answered={view.answeredQueries} />

      {view.messages.length > 0 && (
        <section className="card">
          <h2>Messages</h2>
          <ul className="messages" data-testid="device-messages">
            {view.messages.map((m, i) => (
              <li key={`${i}-${m}`}>{m}</li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

/** Which engine trains here and why, or what choosing it is doing now. */
function EngineLine({ engine }: { engine: EngineStatus }) {
  if (engine.phase !== 'ready') {
    return (
      <p className={engine.phase === 'failed' ? 'error' : 'muted'} data-testid="engine">
        {engineText(engine)}
      </p>
    );
  }
  const { backend, adapter, reason } = engine.choice;
  return (
    <p className="muted" data-testid="engine">
      Training on{' '}
      <strong data-testid="backend">
        {backend}
        {adapter && ` — ${adapter.vendor || 'unnamed'} / ${adapter.architecture || 'unnamed'}`}
      </strong>
      : <span data-testid="backend-reason">{reason}</span>. <span data-testid="training-engine">{trainingEngineText(engine.choice.engine)}</span>
    </p>
  );
}

function connectionText(view: DeviceView): string {
  switch (view.connection) {
    case 'not connected':
      if (!view.joined) return 'Not joined yet';
      return view.engine.phase === 'ready' ? 'Not connected' : 'Not connected yet';
    case 'connecting':
      return 'Connecting to the coordinator…';
    case 'connected':
      return 'Connected';
    case 'reconnecting':
      return view.reconnectAttempt ? `Connection lost — reconnecting (attempt ${view.reconnectAttempt})…` : 'Connection lost — reconnecting…';
    case 'waiting for coordinator':
      return 'Waiting for the coordinator (it is not reachable yet)…';
    default: {
      const unreachable: never = view.connection;
      return unreachable;
    }
  }
}
