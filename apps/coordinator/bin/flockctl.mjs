#!/usr/bin/env node
// The `flockctl` command. In the repository it runs the TypeScript sources through tsx, as
// `npm start` runs the coordinator; installed from the packed tarball, which carries no sources, it
// runs the bundle in dist/ (built by prepack: scripts/bundle-cli.mjs).
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/flockctl.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/flockctl.mjs');
}
