import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldProblems } from './issueWords.ts';

const Form = z.object({ name: z.string().min(1), training: z.object({ batchSize: z.number().int().min(1) }), codec: z.enum(['int8', 'float16']) });

describe('zod issues in words', () => {
  it("turns zod's own messages into sentences that say what to enter, keyed by the field", () => {
    const parsed = Form.safeParse({ name: '', training: { batchSize: 0 }, codec: 'gzip' });
    expect(parsed.success ? [] : fieldProblems(parsed.error)).toEqual([
      { path: 'name', field: 'name', text: 'Enter the name.' },
      { path: 'training.batchSize', field: 'batch size', text: 'Enter a number of at least 1.' },
      { path: 'codec', field: 'codec', text: 'Choose one of int8, float16.' },
    ]);
  });

  it("keeps a schema's own message, without echoing an empty entry", () => {
    const Rounds = z.object({ maxRounds: z.number({ error: (i) => `expected a whole number from 1 to 100, got ${String(i.input)}` }) });
    const parsed = Rounds.safeParse({ maxRounds: Number.NaN });
    expect(parsed.success ? [] : fieldProblems(parsed.error).map((p) => p.text)).toEqual(['Enter a whole number from 1 to 100.']);
  });
});
