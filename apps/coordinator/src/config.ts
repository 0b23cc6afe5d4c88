import { z } from 'zod';
import { parseEnvironment } from './environment.ts';
import { parseSecurityEnv, type SecurityLimits } from './auth/securityLimits.ts';
import { DEFAULT_EVENT_LOG_LIMITS, type EventLogLimits } from './storage/eventLog.ts';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * How the coordinator notices a device that vanished without closing its socket (see
 * `startCoordinator`): a ping every `pingIntervalMs`, and a device that has not answered one
 * within `pingTimeoutMs` is disconnected.
 */
export interface HeartbeatSettings {
  pingIntervalMs: number;
  pingTimeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatSettings = { pingIntervalMs: 10_000, pingTimeoutMs: 20_000 };

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  FLOCK_DATA_DIR: z.string().min(1).default('./data'),
  FLOCK_DATABASE_URL: z
    .url({
      protocol: /^postgres(ql)?$/,
      error:
        'must be a PostgreSQL URL such as postgres://flock:PASSWORD@db.internal:5432/flock (postgres:// or postgresql://), or unset to keep the data in the data dir',
    })
    .optional(),
  FLOCK_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: LogLevel.default('info'),
  FLOCK_PING_INTERVAL_MS: z.coerce.number().int().min(100).max(300_000).default(DEFAULT_HEARTBEAT.pingIntervalMs),
  FLOCK_PING_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_HEARTBEAT.pingTimeoutMs),
  FLOCK_EVENT_LOG_MAX_ROWS: z.coerce.number().int().min(100).max(100_000_000).default(DEFAULT_EVENT_LOG_LIMITS.maxRowsPerFederation),
  FLOCK_EVENT_LOG_MAX_AGE_DAYS: z.coerce.number().min(1).max(36_500).default(DEFAULT_EVENT_LOG_LIMITS.maxAgeDays),
  FLOCK_REDIS_URL: z
    .url({
      protocol: /^rediss?$/,
      error: 'must be a Redis URL such as redis://localhost:6379 (redis:// or rediss://), or unset to run one coordinator without Redis',
    })
    .optional(),
  FLOCK_COORDINATOR_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores, such as coordinator-1, or unset for a generated one')
    .optional(),
});

export interface CoordinatorEnv {
  port: number;
  host: string;
  dataDir: string;
  /** Set: the data lives in this PostgreSQL database instead of the data dir's PGlite (storage/openStore.ts). */
  databaseUrl: string | undefined;
  /** Absent: the token kept in the data directory is used, or one is generated. */
  adminToken: string | undefined;
  logLevel: z.infer<typeof LogLevel>;
  heartbeat: HeartbeatSettings;
  security: SecurityLimits;
  eventLog: EventLogLimits;
  /** Set: room broadcasts reach the sockets of every coordinator sharing this Redis (transport/redisAdapter.ts). */
  redisUrl: string | undefined;
  /** How this coordinator names itself to the others sharing its database; absent: generated at start. */
  coordinatorId: string | undefined;
}

export function parseEnv(env: NodeJS.ProcessEnv): CoordinatorEnv {
  const e = parseEnvironment(Env, env);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.FLOCK_DATA_DIR,
    databaseUrl: e.FLOCK_DATABASE_URL,
    adminToken: e.FLOCK_ADMIN_TOKEN,
    logLevel: e.LOG_LEVEL,
    heartbeat: { pingIntervalMs: e.FLOCK_PING_INTERVAL_MS, pingTimeoutMs: e.FLOCK_PING_TIMEOUT_MS },
    security: parseSecurityEnv(env),
    eventLog: { maxRowsPerFederation: e.FLOCK_EVENT_LOG_MAX_ROWS, maxAgeDays: e.FLOCK_EVENT_LOG_MAX_AGE_DAYS },
    redisUrl: e.FLOCK_REDIS_URL,
    coordinatorId: e.FLOCK_COORDINATOR_ID,
  };
}
