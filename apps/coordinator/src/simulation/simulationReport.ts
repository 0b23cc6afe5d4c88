import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RoundRecord } from '@flock/fl-core';
import type { RoundReport } from './roundLedger.ts';
import type { SimulationSummary } from './simulation.ts';

/** The per-round JSON line of `flockctl simulate --json`. */
export function roundLine(r: RoundReport): string {
  const { round, participants, dropped, closedBy, extended, withinDeadline, meanStaleness, accuracy, loss, durationMs, bytesUp, bytesDown, rejected } = r;
  const epsilon = r.epsilon ?? null;
  return JSON.stringify({
    round,
    participants,
    dropped,
    closedBy,
    extended,
    withinDeadline,
    meanStaleness,
    accuracy,
    loss,
    durationMs,
    bytesUp,
    bytesDown,
    rejected,
    epsilon,
  });
}

export function summaryLine(s: SimulationSummary): string {
  const { rounds: roundsCompleted, roundsAttempted, roundsToTarget, bestAccuracy, dropped, backend, threads, strategy, epsilon } = s;
  return JSON.stringify({
    roundsCompleted,
    roundsAttempted,
    roundsToTarget,
    bestAccuracy,
    dropped,
    wallSeconds: round3(s.wallSeconds),
    backend,
    threads,
    strategy,
    epsilon,
  });
}

/** One line redrawn in place on a terminal. */
export function progressLine(r: RoundReport, maxRounds: number): string {
  const width = 30;
  const done = Math.round((r.round / maxRounds) * width);
  const accuracy = r.accuracy === null ? '—' : `${(r.accuracy * 100).toFixed(2)}%`;
  const drops = r.dropped > 0 ? `  ${r.dropped} dropped` : '';
  return `\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] round ${r.round}/${maxRounds}  accuracy ${accuracy}  ${(r.durationMs / 1000).toFixed(1)} s/round${drops} `;
}

/** rounds.csv and accuracy.svg (accuracy vs round), for a person to open. */
export async function writeReport(dir: string, reports: RoundReport[], target: number | undefined): Promise<void> {
  await mkdir(dir, { recursive: true });
  const header = 'round,participants,examples,accuracy,loss,trainLoss,durationMs,bytesUp,bytesDown,rejected,dropped,closedBy,extended,withinDeadline';
  const rows = reports.map((r) =>
    [
      r.round,
      r.participants,
      r.examples,
      r.accuracy ?? '',
      r.loss ?? '',
      r.trainLoss ?? '',
      r.durationMs,
      r.bytesUp,
      r.bytesDown,
      r.rejected,
      r.dropped,
      r.closedBy ?? '',
      r.extended,
      r.withinDeadline ?? '',
    ].join(','),
  );
  await writeFile(join(dir, 'rounds.csv'), `${[header, ...rows].join('\n')}\n`);
  await writeFile(join(dir, 'accuracy.svg'), accuracyChart(reports, target));
}

function accuracyChart(rounds: RoundRecord[], target: number | undefined): string {
  const w = 640;
  const h = 360;
  const pad = 48;
  const points = rounds.filter((r) => r.accuracy !== null);
  const maxRound = Math.max(1, ...rounds.map((r) => r.round));
  const minAcc = Math.min(target ?? 1, ...points.map((r) => r.accuracy!)) - 0.02;
  const lo = Math.max(0, Math.floor(minAcc * 10) / 10);
  const x = (round: number) => pad + ((round - (maxRound > 1 ? 1 : 0)) / Math.max(1, maxRound - 1)) * (w - 2 * pad);
  const y = (acc: number) => h - pad - ((acc - lo) / (1 - lo)) * (h - 2 * pad);
  const path = points.map((r, i) => `${i === 0 ? 'M' : 'L'}${x(r.round).toFixed(1)},${y(r.accuracy!).toFixed(1)}`).join(' ');
  const ticks = Array.from({ length: 6 }, (_, i) => lo + ((1 - lo) * i) / 5);
  const targetLine =
    target === undefined
      ? ''
      : `<line x1="${pad}" x2="${w - pad}" y1="${y(target)}" y2="${y(target)}" stroke="#c33" stroke-dasharray="4 4"/><text x="${w - pad}" y="${y(target) - 4}" text-anchor="end" fill="#c33">target ${(target * 100).toFixed(1)}%</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#333"/>
${ticks.map((t) => `<text x="${pad - 6}" y="${y(t) + 4}" text-anchor="end">${(t * 100).toFixed(0)}%</text>`).join('')}
<text x="${w / 2}" y="${h - 12}" text-anchor="middle">round (1–${maxRound})</text><text x="14" y="${h / 2}" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">test accuracy</text>
${targetLine}
<path d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/>
</svg>
`;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
