#!/usr/bin/env node
// The `flock` command: loads the TypeScript CLI through tsx, as `npm start` runs the coordinator.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/flock.ts');
