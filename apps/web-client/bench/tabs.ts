// `npm run bench -- tabs [--tabs 3] [--rounds 5]`: what a new user sees after `npm start` — real
// Chromium tabs (WebGPU on SwiftShader where no GPU) join the demo federation, which then trains.
// One JSON line per tab (time from navigation to an enabled Join, the backend it trained on),
// one per round, and a summary.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { findChromium, WEBGPU_SWIFTSHADER_ARGS } from '../../../e2e/support/chromium.ts';
import { adminHeaders, E2E_ADMIN_TOKEN } from '../../../e2e/support/coordinator.ts';
import { CoordinatorProcess } from '../../coordinator/src/testing/coordinatorProcess.ts';

const { values } = parseArgs({ options: { tabs: { type: 'string', default: '3' }, rounds: { type: 'string', default: '5' } } });
const tabs = Number(values.tabs);
const rounds = Number(values.rounds);

interface RoundRow {
  round: number;
  participants: number;
  accuracy: number | null;
  durationMs: number;
  bytesUp: number;
  bytesDown: number;
}

const built = spawnSync(process.execPath, ['scripts/ensure-built.mjs'], { stdio: 'inherit' });
if (built.status !== 0) throw new Error('the web client did not build');

const coordinator = await CoordinatorProcess.create({ adminToken: E2E_ADMIN_TOKEN });
await coordinator.start();
const browser = await chromium.launch({ executablePath: findChromium(), args: WEBGPU_SWIFTSHADER_ARGS });
try {
  const pages = [];
  for (let i = 0; i < tabs; i++) {
    const page = await (await browser.newContext({ baseURL: coordinator.url })).newPage();
    const started = performance.now();
    await page.goto('/');
    await page.getByTestId('join').waitFor({ state: 'visible' });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="join"]') as HTMLButtonElement | null)?.disabled, null, {
      timeout: 120_000,
    });
    const joinEnabledMs = performance.now() - started;
    await page.getByTestId('join').click();
    pages.push({ page, joinEnabledMs });
  }
  const api = (path: string, init?: RequestInit) => fetch(`${coordinator.url}/api${path}`, { ...init, headers: adminHeaders });
  const start = await api('/federations/demo/start', { method: 'POST' });
  if (!start.ok) throw new Error(`start: ${start.status} ${await start.text()}`);
  const startedAt = performance.now();
  let done: RoundRow[] = [];
  while (done.length < rounds) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (performance.now() - startedAt > 20 * 60_000) throw new Error(`only ${done.length} of ${rounds} rounds in 20 minutes`);
    done = (await (await api('/federations/demo/rounds?format=json')).json()) as RoundRow[];
  }
  for (const [i, { page, joinEnabledMs }] of pages.entries()) {
    const backend = (await page.getByTestId('backend').textContent())?.trim();
    console.log(JSON.stringify({ bench: 'tabs', tab: i + 1, joinEnabledMs: Math.round(joinEnabledMs), backend }));
  }
  for (const r of done.slice(0, rounds)) {
    console.log(
      JSON.stringify({
        bench: 'tabs',
        round: r.round,
        participants: r.participants,
        durationMs: r.durationMs,
        accuracy: r.accuracy,
        bytesUp: r.bytesUp,
        bytesDown: r.bytesDown,
      }),
    );
  }
  const durations = done
    .slice(0, rounds)
    .map((r) => r.durationMs)
    .sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'tabs',
      tabs,
      rounds,
      joinEnabledMsMax: Math.round(Math.max(...pages.map((p) => p.joinEnabledMs))),
      roundMsMedian: durations[Math.floor(durations.length / 2)],
      accuracyAfterLastRound: done[rounds - 1]?.accuracy ?? null,
    }),
  );
} finally {
  await browser.close();
  await coordinator.kill('SIGTERM');
}
