import { z } from 'zod';

/**
 * For pages served under a CSP without 'unsafe-eval' (the coordinator's): zod then never compiles
 * parsers with `new Function`, not even the probe for it, which the browser reports as a violation
 * although zod catches it. Call once, first thing, in each page and worker.
 */
export function disableSchemaJit(): void {
  z.config({ jitless: true });
}
