import { describe, expect, it } from 'vitest';
import { DEFAULT_HEARTBEAT, parseEnv } from './config.ts';
import { DEFAULT_EVENT_LOG_LIMITS } from './storage/eventLog.ts';

describe('parseEnv', () => {
  it('pings every 10 s and drops a device silent for 20 s unless told otherwise', () => {
    expect(parseEnv({}).heartbeat).toEqual(DEFAULT_HEARTBEAT);
    expect(DEFAULT_HEARTBEAT).toEqual({ pingIntervalMs: 10_000, pingTimeoutMs: 20_000 });
    expect(parseEnv({ FLOCK_PING_INTERVAL_MS: '5000', FLOCK_PING_TIMEOUT_MS: '60000' }).heartbeat).toEqual({
      pingIntervalMs: 5_000,
      pingTimeoutMs: 60_000,
    });
  });

  it('refuses a heartbeat setting that is not a sensible number of milliseconds, naming the variable', () => {
    expect(() => parseEnv({ FLOCK_PING_TIMEOUT_MS: 'soon' })).toThrow(/FLOCK_PING_TIMEOUT_MS/);
    expect(() => parseEnv({ FLOCK_PING_INTERVAL_MS: '5' })).toThrow(/FLOCK_PING_INTERVAL_MS/);
  });

  it('keeps 100,000 events per federation for 30 days unless told otherwise', () => {
    expect(parseEnv({}).eventLog).toEqual(DEFAULT_EVENT_LOG_LIMITS);
    expect(DEFAULT_EVENT_LOG_LIMITS).toEqual({ maxRowsPerFederation: 100_000, maxAgeDays: 30 });
    expect(parseEnv({ FLOCK_EVENT_LOG_MAX_ROWS: '5000', FLOCK_EVENT_LOG_MAX_AGE_DAYS: '7' }).eventLog).toEqual({ maxRowsPerFederation: 5_000, maxAgeDays: 7 });
    expect(() => parseEnv({ FLOCK_EVENT_LOG_MAX_ROWS: '0' })).toThrow(/FLOCK_EVENT_LOG_MAX_ROWS/);
  });

  it('keeps the data in PostgreSQL only when FLOCK_DATABASE_URL names a server, and refuses another value without repeating it', () => {
    expect(parseEnv({}).databaseUrl).toBeUndefined();
    const url = 'postgresql://flock:secret@db.internal:5432/flock';
    expect(parseEnv({ FLOCK_DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(parseEnv({ FLOCK_DATABASE_URL: 'postgres://localhost/flock' }).databaseUrl).toBe('postgres://localhost/flock');
    for (const wrong of ['db.internal:5432', 'mysql://flock:secret@db.internal/flock', 'postgres']) {
      expect(() => parseEnv({ FLOCK_DATABASE_URL: wrong })).toThrow(
        'invalid environment: FLOCK_DATABASE_URL: must be a PostgreSQL URL such as postgres://flock:PASSWORD@db.internal:5432/flock (postgres:// or postgresql://), or unset to keep the data in the data dir',
      );
      expect(() => parseEnv({ FLOCK_DATABASE_URL: wrong })).not.toThrow(/secret/);
    }
  });

  it('uses Redis only when FLOCK_REDIS_URL names one, and refuses a value that is not a Redis URL, saying what it should be', () => {
    expect(parseEnv({}).redisUrl).toBeUndefined();
    expect(parseEnv({ FLOCK_REDIS_URL: 'redis://redis.internal:6379' }).redisUrl).toBe('redis://redis.internal:6379');
    expect(parseEnv({ FLOCK_REDIS_URL: 'rediss://user:secret@redis.internal:6380/2' }).redisUrl).toBe('rediss://user:secret@redis.internal:6380/2');
    for (const wrong of ['localhost:6379', 'http://redis.internal:6379', 'redis']) {
      expect(() => parseEnv({ FLOCK_REDIS_URL: wrong })).toThrow(
        'invalid environment: FLOCK_REDIS_URL: must be a Redis URL such as redis://localhost:6379 (redis:// or rediss://), or unset to run one coordinator without Redis',
      );
    }
  });

  it('names the coordinator by FLOCK_COORDINATOR_ID when set, and refuses a name that logs and URLs would garble', () => {
    expect(parseEnv({}).coordinatorId).toBeUndefined();
    expect(parseEnv({ FLOCK_COORDINATOR_ID: 'coordinator-1' }).coordinatorId).toBe('coordinator-1');
    for (const wrong of ['', 'two words', 'x'.repeat(65), 'a/b']) {
      expect(() => parseEnv({ FLOCK_COORDINATOR_ID: wrong })).toThrow(
        'invalid environment: FLOCK_COORDINATOR_ID: must be 1 to 64 letters, digits, dots, dashes or underscores, such as coordinator-1, or unset for a generated one',
      );
    }
  });
});
