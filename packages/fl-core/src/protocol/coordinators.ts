import { z } from 'zod';

/** One coordinator sharing this coordinator's database (`GET /api/coordinators`), as its latest heartbeat described it. */
export const CoordinatorSummary = z.object({
  id: z.string(),
  url: z.string(),
  startedAt: z.string(),
  /** Its latest heartbeat. */
  lastSeen: z.string(),
  /** How long ago that was when the list was answered, so a browser whose clock is off still says it right. */
  silentMs: z.number().int().nonnegative(),
  /** Heard from within the last few seconds; not alive: it may have stopped, and another coordinator takes its federations over. */
  alive: z.boolean(),
  /** Device sockets connected to it. */
  devices: z.number().int().nonnegative(),
  /** The federations whose rounds it runs, by id. */
  federations: z.array(z.string()),
});
export type CoordinatorSummary = z.infer<typeof CoordinatorSummary>;
