import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fetchWithin } from './fetchWithin.ts';

// A peer that accepts each connection and closes it at once, as a proxy with nothing behind it does.
let dropper: Server;
let url: URL;
beforeAll(async () => {
  dropper = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(dropper.address() as { port: number }).port}/api/health`);
});
afterAll(() => new Promise<void>((resolve) => dropper.close(() => resolve())));

it('answers a connection closed at once with a failure within its bound, where a plain fetch can wait for ever', async () => {
  const started = Date.now();
  await expect(fetchWithin(url, 1_000)).rejects.toThrow();
  expect(Date.now() - started).toBeLessThan(5_000);
});
