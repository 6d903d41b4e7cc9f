import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The shared Redis code is read from its sources, so that a change there is
// tested here without a build in between.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    alias: {
      '@cacheplane/redis-shared': source('../redis-shared/src/index.ts'),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
})
