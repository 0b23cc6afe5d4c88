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
    await expect(new CoordinatorClient(once.url, 'token').start('fed')).rejects.toThrow(/fetch failed/);
    expect(once.requests()).toBe(1);
  });
});
