import { defineConfig } from 'vitest/config'

// Only test/mutants.test.ts runs these, expecting failures.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/mutants/**/*.mutant.ts'],
    testTimeout: 20_000,
  },
})
