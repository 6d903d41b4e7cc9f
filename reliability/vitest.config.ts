import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Scenarios measure staleness on a 2-core machine: running two at once would measure the machine.
    fileParallelism: false,
  },
})
