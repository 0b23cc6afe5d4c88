// Child process of the abuse bench: opens `count` Socket.IO connections (websocket transport) to `url`
// and holds them, so the parent's /api/health timings are not skewed by this process's event loop.
// argv: url count; reports { connected, failed, firstError } over IPC once every attempt settled,
// and exits when the parent disconnects.
import { io, type Socket } from 'socket.io-client';

const CONCURRENT_OPENS = 100;
const OPEN_TIMEOUT_MS = 30_000;

const [url, countArg] = process.argv.slice(2);
const count = Number(countArg);
const sockets: Socket[] = [];
let connected = 0;
let failed = 0;
let firstError: string | null = null;

function open(): Promise<void> {
  const socket = io(url!, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: OPEN_TIMEOUT_MS });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => {
      connected++;
      resolve();
    });
    socket.once('connect_error', (err) => {
      failed++;
      firstError ??= err.message;
      resolve();
    });
  });
}

let next = 0;
await Promise.all(
  Array.from({ length: Math.min(CONCURRENT_OPENS, count) }, async () => {
    while (next < count) {
      next++;
      await open();
    }
  }),
);
// Connections the coordinator dropped after they opened count as failed: the parent wants the held number.
const held = sockets.filter((s) => s.connected).length;
process.send!({ connected: held, failed: failed + (connected - held), firstError });
process.once('disconnect', () => {
  for (const s of sockets) s.close();
  process.exit(0);
});
