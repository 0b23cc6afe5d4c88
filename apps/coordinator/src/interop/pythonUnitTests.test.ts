import { expect, it } from 'vitest';
import { runPython } from './python.ts';

// The Python client's own unittest suite (python-client/tests/test_*.py), so `npm test` runs it too.
it('the Python client passes its unittest suite', async () => {
  const run = await runPython(['-m', 'unittest', 'discover', '-s', 'python-client/tests'], { timeoutMs: 50_000 });
  expect(run.timedOut).toBe(false);
  // unittest reports on stderr; the whole report is the failure message a person reads.
  expect(run.code, run.stderr).toBe(0);
}, 60_000);
