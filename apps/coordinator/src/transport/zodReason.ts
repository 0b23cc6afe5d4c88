import type { z } from 'zod';

/** "payload: expected ..." for each issue: enough for a person to fix the message they sent. */
export function zodReason(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}
