import { z } from 'zod';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  FLOCK_DATA_DIR: z.string().min(1).default('./data'),
  FLOCK_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: LogLevel.default('info'),
});

export interface CoordinatorEnv {
  port: number;
  host: string;
  dataDir: string;
  /** Absent: the token kept in the data directory is used, or one is generated. */
  adminToken: string | undefined;
  logLevel: z.infer<typeof LogLevel>;
}

export function parseEnv(env: NodeJS.ProcessEnv): CoordinatorEnv {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${problems}`);
  }
  const e = parsed.data;
  return { port: e.PORT, host: e.HOST, dataDir: e.FLOCK_DATA_DIR, adminToken: e.FLOCK_ADMIN_TOKEN, logLevel: e.LOG_LEVEL };
}
