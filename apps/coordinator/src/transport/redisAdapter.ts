import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import type { ServerOptions } from 'socket.io';

/** Connection attempts at start before the coordinator gives up; once connected it retries for ever. */
const START_ATTEMPTS = 3;
const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5_000;

export interface RedisAdapterLink {
  /** For the Socket.IO server's `adapter` option. */
  adapter: ServerOptions['adapter'];
  /** Closes the connection; after io.close(), which stops the adapter's own readers. */
  close(): Promise<void>;
}

/**
 * Room broadcasts (dashboard events and snapshots, federation status) reach the sockets of every
 * coordinator sharing this Redis, through Socket.IO's Redis Streams adapter: it reads one stream
 * from the last entry it saw, so a Redis reconnect loses no packet. Model and update bytes never go
 * through it (deviceNamespace.ts emits them on the local server only).
 *
 * Rejects, saying what to do, when Redis cannot be reached at start; a Redis that goes away later
 * is retried for ever, and the coordinator keeps serving its own sockets meanwhile.
 */
export async function connectRedisAdapter(url: string, logger: Logger): Promise<RedisAdapterLink> {
  const shown = withoutPassword(url);
  const log = logger.child({ redis: shown });
  let started = false;
  let down = false;
  const client = createClient({
    url,
    socket: {
      // The adapter's readers duplicate this client and so share this strategy.
      reconnectStrategy: (retries, cause) => (!started && retries + 1 >= START_ATTEMPTS ? cause : Math.min(FIRST_RETRY_MS * 2 ** retries, LONGEST_RETRY_MS)),
    },
  });
  // Without a listener node-redis' 'error' event would crash the process.
  client.on('error', (err: Error) => {
    if (!started || down) return;
    down = true;
    log.warn({ err }, 'lost the connection to Redis: events reach only this coordinator’s sockets until it is back; retrying');
  });
  // One try per few seconds while Redis is down: debug, so an outage is one warning and one recovery line at info.
  client.on('reconnecting', () => {
    if (started) log.debug('reconnecting to Redis');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('reconnected to Redis: events reach every coordinator again');
  });

  try {
    await client.connect();
  } catch (err) {
    if (client.isOpen) client.destroy();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot reach Redis at ${shown} (${reason}). Start Redis there, correct FLOCK_REDIS_URL, or unset FLOCK_REDIS_URL to run one coordinator without Redis.`,
      { cause: err },
    );
  }
  started = true;
  log.info('connected to Redis: room broadcasts reach every coordinator that shares it');
  return {
    // A coordinator that died is dropped from cross-coordinator requests (fetchSockets) after 3 s
    // instead of 10 s: a federation it owned is taken over after its lease (5 s) and that takeover asks every coordinator for its devices.
    // The stream keeps 100,000 entries (the default 10,000 is trimmed under a coordinator that falls behind
    // while thousands of devices join, and what it had not read is lost) and each read takes up to 1,000.
    adapter: createAdapter(client, { heartbeatInterval: 1_000, heartbeatTimeout: 3_000, maxLen: 100_000, readCount: 1_000 }),
    async close() {
      // close() waits for every queued command, which a Redis that is down never answers.
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}

/** The URL as logs and messages show it: a password, if any, masked. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
