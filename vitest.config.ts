import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Forks: a test file's mock brokers are child processes of its worker (spawned with -x, so a
    // crashed or killed worker takes its brokers with it).
    pool: 'forks',
    // One worker process runs file after file instead of a fork per file, each file on fresh modules
    // (test/support/fresh-modules.ts). Measured on 12 in-process files (2 workers, load 8-11):
    // 63.8 s wall and 39.3 CPU s with a fork per file, 35.8 s and 24.8 CPU s so.
    isolate: false,
    setupFiles: ['test/support/fresh-modules.ts'],
    fileParallelism: true,
    maxWorkers: 2,
  },
});
