import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { findChromium, WEBGPU_SWIFTSHADER_ARGS } from './e2e/support/chromium.ts';
import { E2E_ADMIN_TOKEN } from './e2e/support/coordinator.ts';

const port = Number(process.env.FLOCK_E2E_PORT ?? 3199);

// One real coordinator process on a fresh data directory for the whole run; tabs are real Chromium.
export default defineConfig({
  testDir: 'e2e',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 15 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: findChromium(), args: WEBGPU_SWIFTSHADER_ARGS },
    trace: 'off',
  },
  webServer: {
    command: 'npx tsx apps/coordinator/src/main.ts',
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      FLOCK_DATA_DIR: mkdtempSync(join(tmpdir(), 'flock-e2e-')),
      FLOCK_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  },
});
