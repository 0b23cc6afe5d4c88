#!/usr/bin/env node
// The `flockctl` command runs the compiled bundle in dist/. In the repository it first rebuilds the
// bundle when the sources are newer (scripts/ensure-built.mjs); installed from the packed tarball,
// which carries no sources, dist/ is what prepack built.
import { existsSync } from 'node:fs';

const ensureBuilt = new URL('../../../scripts/ensure-built.mjs', import.meta.url);
if (existsSync(new URL('../src/cli/flockctl.ts', import.meta.url)) && existsSync(ensureBuilt)) {
  const { ensureCoordinatorBuilt } = await import(ensureBuilt.href);
  await ensureCoordinatorBuilt();
}
await import('../dist/flockctl.mjs');
