import { z } from 'zod';

/** The body of a route that takes no options yet: anything sent is refused rather than silently ignored. */
export const EmptyBody = z.object({}).strict().optional();
