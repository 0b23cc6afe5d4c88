import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorClient } from './coordinatorClient.ts';

/** A server that resets the first `resets` connections it gets, then answers `[]`. */
async function flakyServer(resets: number): Promise<{ server: Server; url: string; requests: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    if (seen <= resets) {
      req.socket.destroy();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end('[]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requests: () => seen };
}

describe('CoordinatorClient', () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  it('sends a GET again when its connection is reset, but never a POST', async () => {
    const flaky = await flakyServer(2);
    server = flaky.server;
    const client = new CoordinatorClient(flaky.url, 'token');
    expect(await client.rounds('fed')).toEqual([]);
    expect(flaky.requests()).toBe(3);

    const once = await flakyServer(1);
    server.close();
    server = once.server;
    await expect(new CoordinatorClient(once.url, 'token').start('fed')).rejects.toThrow(
      /^the connection to the coordinator at http:\/\/127\.0\.0\.1:\d+ broke during POST \/api\/federations\/fed\/start \(.+\); it may have taken effect: check with `flockctl federation status --url/,
    );
    expect(once.requests()).toBe(1);
  });

  it('waits for a coordinator that refuses connections (a restart), POSTs included, and says so once', async () => {
    const probe = await flakyServer(0);
    const { url } = probe;
    await new Promise((resolve) => probe.server.close(resolve));
    const said: string[] = [];
    const client = new CoordinatorClient(url, 'token', { retryForMs: 20_000, onWaiting: (m) => said.push(m) });
    const started = client.start('fed');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const port = Number(new URL(url).port);
    server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"status":"running"}'));
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    expect(await started).toEqual({ status: 'running' });
    expect(said).toHaveLength(2);
    expect(said[0]).toBe(`coordinator at ${url} unreachable (ECONNREFUSED); retrying for up to 20 s`);
    expect(said[1]).toMatch(/^coordinator at .* answers again \(after \d+ s\)$/);
  });

  it('gives up after its retry window, naming the coordinator and what to check', async () => {
    const probe = await flakyServer(0);
    await new Promise((resolve) => probe.server.close(resolve));
    const client = new CoordinatorClient(probe.url, 'token', { retryForMs: 1_000 });
    await expect(client.rounds('fed')).rejects.toThrow(
      /^no coordinator answers at http:\/\/127\.0\.0\.1:\d+ for \d s \(ECONNREFUSED\): start one with `flockctl serve`, or pass --url with the address of one that runs$/,
    );
  });

  it('without a retry window, fails at once where nothing listens, naming the address and what to do', async () => {
    const probe = await flakyServer(0);
    await new Promise((resolve) => probe.server.close(resolve));
    const started = Date.now();
    await expect(new CoordinatorClient(probe.url, 'token', { retryForMs: 0 }, '--server').rounds('fed')).rejects.toThrow(
      `no coordinator answers at ${probe.url} (ECONNREFUSED): start one with \`flockctl serve\`, or pass --server with the address of one that runs`,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
