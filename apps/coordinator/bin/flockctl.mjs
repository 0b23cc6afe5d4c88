#!/usr/bin/env node
// The `flockctl` command. Installed from the packed tarball it runs the bundle in dist/ (built by
// prepack, scripts/bundle-cli.mjs); in the repository, where dist/ exists only while packing, it
// runs the TypeScript sources through tsx, as `npm start` runs the coordinator.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/flockctl.mjs', import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/flockctl.ts');
}
