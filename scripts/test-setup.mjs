// vitest's global setup: tests run flockctl and `npm start` compiled, so the builds must be fresh
// before any test starts (parallel test files would otherwise each rebuild the same folder at once).
import { ensureCoordinatorBuilt, ensureWebClientBuilt } from './ensure-built.mjs';

export async function setup() {
  await ensureWebClientBuilt();
  await ensureCoordinatorBuilt();
}
