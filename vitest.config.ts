import { defineConfig } from 'vitest/config';

// Unit and integration tests sit beside the code they test; Playwright owns e2e/.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
    globalSetup: ['scripts/test-setup.mjs'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
