// `npm run bench -- dashboard [devices] [rounds] [requests]`: p50/p95 of each console REST route on a seeded
// federation (default 1,000 devices x 200 rounds), one JSON line per route, against a real coordinator.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDataDir } from '../../../e2e/support/seedFederation.ts';
import { startCoordinator } from '../src/coordinator.ts';

const [devices = 1_000, rounds = 200, requests = 50] = process.argv.slice(2).map(Number);
const TOKEN = 'dashboard-bench-admin-token';

const dir = await mkdtemp(join(tmpdir(), 'flock-bench-dashboard-'));
const dataDir = join(dir, 'data');
const { federationId } = await seedDataDir(dataDir, { devices, rounds });
const coordinator = await startCoordinator({ port: 0, host: '127.0.0.1', dataDir, adminToken: TOKEN, logLevel: 'silent' });
const routes: Record<string, string> = {
  devices: 'devices?paged=true&limit=100&sort=-lastSeen',
  'devices-filtered': 'devices?paged=true&limit=100&sort=examples&filter=wasm',
  rounds: 'rounds?paged=true&limit=100',
  events: 'events?paged=true&limit=100',
  'events-filtered': 'events?paged=true&limit=100&kind=round-closed&filter=accuracy',
  'device-bytes': 'device-bytes?paged=true&limit=100',
  'device-bytes-round': `device-bytes?paged=true&limit=100&round=${Math.max(1, rounds)}`,
  'round-series': 'round-series?maxPoints=500',
  summary: '',
};

try {
  for (const [route, path] of Object.entries(routes)) {
    const url = `${coordinator.url}/api/federations/${federationId}${path ? `/${path}` : ''}`;
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < requests + 3; i++) {
      const started = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = await res.arrayBuffer();
      if (!res.ok) throw new Error(`${route}: ${res.status} ${new TextDecoder().decode(body)}`);
      // The first requests warm the JIT and PGlite's caches.
      if (i >= 3) times.push(performance.now() - started);
      bytes = body.byteLength;
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2));
    console.log(JSON.stringify({ bench: 'dashboard', route, devices, rounds, requests, p50Ms: at(0.5), p95Ms: at(0.95), responseBytes: bytes }));
  }
} finally {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
}
