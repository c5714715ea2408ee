import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Forks: each test file runs in its own process, which owns its mock broker
    // (spawned with -x, so a crashed or killed worker takes its broker with it).
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
