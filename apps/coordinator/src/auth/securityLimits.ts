import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { parseEnvironment } from '../environment.ts';

/** Abuse limits, each from an environment variable; the defaults let 50 simulated devices share one IP. */
export interface SecurityLimits {
  /** Largest Socket.IO message (FLOCK_MAX_SOCKET_MESSAGE_BYTES); above any update we accept, so our own size check answers with a reason. */
  maxSocketMessageBytes: number;
  /** REST requests per IP per minute (FLOCK_RATE_LIMIT_PER_MINUTE). */
  restRequestsPerMinute: number;
  /** Login attempts per IP per minute (FLOCK_LOGIN_LIMIT_PER_MINUTE). */
  loginsPerMinute: number;
  /** Socket.IO events one connection may send per second, sustained (FLOCK_SOCKET_EVENTS_PER_SECOND) ... */
  socketEventsPerSecond: number;
  /** ... and at once (FLOCK_SOCKET_EVENT_BURST). */
  socketEventBurst: number;
  /** Other origins whose pages may call the API and open sockets (FLOCK_CORS_ORIGINS, comma-separated); none: same origin only. */
  corsOrigins: string[];
  /** Bytes all devices' unfinished chunked uploads may hold together (FLOCK_UPLOAD_BUDGET_BYTES). */
  uploadBudgetBytes: number;
  /** Socket.IO connections open at once from one IP address, both namespaces (FLOCK_MAX_CONNECTIONS_PER_IP). */
  maxConnectionsPerIp: number;
  /**
   * Load balancers in front (FLOCK_TRUSTED_PROXIES: addresses, ranges such as 10.0.0.0/8, or loopback): a request
   * from one of them counts against the address its X-Forwarded-For names, so the per-IP limits still apply per
   * client, not to the balancer as a whole. None: the peer is the client, and X-Forwarded-For is ignored.
   */
  trustedProxies: string[];
}

export const DEFAULT_SECURITY_LIMITS: SecurityLimits = {
  maxSocketMessageBytes: 64 * 1024 * 1024,
  restRequestsPerMinute: 6_000,
  loginsPerMinute: 30,
  socketEventsPerSecond: 50,
  socketEventBurst: 500,
  corsOrigins: [],
  uploadBudgetBytes: 256 * 1024 * 1024,
  // Simulated fleets and e2e tabs all come from 127.0.0.1.
  maxConnectionsPerIp: 1_000,
  trustedProxies: [],
};

const d = DEFAULT_SECURITY_LIMITS;
const SecurityEnv = z.object({
  FLOCK_MAX_SOCKET_MESSAGE_BYTES: z.coerce.number().int().min(1_024).max(1_073_741_824).default(d.maxSocketMessageBytes),
  FLOCK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(d.restRequestsPerMinute),
  FLOCK_LOGIN_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(d.loginsPerMinute),
  FLOCK_SOCKET_EVENTS_PER_SECOND: z.coerce.number().positive().default(d.socketEventsPerSecond),
  FLOCK_SOCKET_EVENT_BURST: z.coerce.number().int().min(1).default(d.socketEventBurst),
  FLOCK_UPLOAD_BUDGET_BYTES: z.coerce.number().int().min(1_048_576).max(68_719_476_736).default(d.uploadBudgetBytes),
  FLOCK_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(1).default(d.maxConnectionsPerIp),
  FLOCK_CORS_ORIGINS: commaList().pipe(z.array(z.url({ message: 'each origin is a URL like https://example.org' }))),
  FLOCK_TRUSTED_PROXIES: commaList().refine(compiles, {
    message: 'each entry is an IP address (10.0.0.5), a range (10.0.0.0/8 or 10.0.0.0/255.0.0.0), or loopback, linklocal or uniquelocal',
  }),
});

function commaList() {
  return z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    );
}

/** proxy-addr, which reads X-Forwarded-For for Express and the socket guard alike, accepts these addresses. */
function compiles(addresses: string[]): boolean {
  try {
    proxyAddr.compile(addresses);
    return true;
  } catch {
    return false;
  }
}

/** Unknown variables are left alone; a bad value throws with every problem named. */
export function parseSecurityEnv(env: NodeJS.ProcessEnv): SecurityLimits {
  const e = parseEnvironment(SecurityEnv, env);
  return {
    maxSocketMessageBytes: e.FLOCK_MAX_SOCKET_MESSAGE_BYTES,
    restRequestsPerMinute: e.FLOCK_RATE_LIMIT_PER_MINUTE,
    loginsPerMinute: e.FLOCK_LOGIN_LIMIT_PER_MINUTE,
    socketEventsPerSecond: e.FLOCK_SOCKET_EVENTS_PER_SECOND,
    socketEventBurst: e.FLOCK_SOCKET_EVENT_BURST,
    corsOrigins: e.FLOCK_CORS_ORIGINS.map((o) => new URL(o).origin),
    uploadBudgetBytes: e.FLOCK_UPLOAD_BUDGET_BYTES,
    maxConnectionsPerIp: e.FLOCK_MAX_CONNECTIONS_PER_IP,
    trustedProxies: e.FLOCK_TRUSTED_PROXIES,
  };
}
